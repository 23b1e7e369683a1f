"""Field names, code lists and file layout of the tax department's register of retail stores (``tax``).

The provincial tax department (Cục Thuế, from 2025 Thuế tỉnh) extracts from
the tax-management system (TMS) the register of retail business locations of
enterprises and household businesses, with the date each location
registered to issue e-invoices generated from cash registers (hóa đơn điện
tử khởi tạo từ máy tính tiền, Decree 123/2020/NĐ-CP art. 11, amended by Decree
70/2025/NĐ-CP; Circular 78/2021/TT-BTC). Everything about the format lives
here, in one place.

Landing layout (below the landing URL)::

    tax/cuahang/YYYY/dscuahang_banle_YYYYMMDD.csv   register as it stood on that day (month end)

CSV, semicolon separated (the TMS report tool's default), UTF-8, dates
``dd/mm/yyyy``. One snapshot a month, taken on the month's last day
(``NgayChotSoLieu``) and delivered the same day.
"""

from __future__ import annotations

SOURCE = "tax"

DATASETS: dict[str, str] = {"store": "cuahang/**/dscuahang_banle_*.csv"}
SEPARATOR = ";"
DATE_FORMAT = "%d/%m/%Y"

STORE_COLUMNS = [
    "NgayChotSoLieu",  # snapshot date, dd/mm/yyyy
    "MaCuaHang",  # business location (store) id in TMS
    "MaSoThue",  # taxpayer's tax code: 10 digits, 10-3, or (individuals since 1/7/2025) the 12-digit citizen ID: hashed
    "TenNguoiNopThue",  # taxpayer's name (often a person): dropped
    "TenCuaHang",  # store's sign name: dropped
    "DiaChiKinhDoanh",  # street address: dropped
    "SoDienThoai",  # personal data, never loaded
    "LoaiNguoiNopThue",  # see TAXPAYER_TYPE
    "MaXa",  # GSO code of the commune of the store
    "MaNganhNghe",  # VSIC 2018 level-4 code of the store's business line: see BUSINESS_LINES
    "TrangThaiMST",  # taxpayer status code in TMS: see STATUS
    "NgayBatDauKinhDoanh",  # dd/mm/yyyy
    "NgayDangKyHDDTMTT",  # dd/mm/yyyy the location registered cash-register e-invoices; empty if not
]
PERSONAL_FIELDS = ["TenNguoiNopThue", "TenCuaHang", "DiaChiKinhDoanh", "SoDienThoai"]
TAX_CODE_PATTERN = r"^(\d{10}|\d{10}-\d{3}|\d{12})$"
EARLIEST_CASH_REGISTER_INVOICE = "2022-07-01"  # Decree 123/2020/NĐ-CP in force

TAXPAYER_TYPE = {
    "Doanh nghiệp": "enterprise",
    "Hộ kinh doanh": "household_business",
    "Cá nhân kinh doanh": "individual",
}

# TMS taxpayer status codes (trạng thái mã số thuế)
STATUS = {
    "00": "active",  # NNT đang hoạt động (đã được cấp GCN ĐKT)
    "01": "closed",  # NNT ngừng hoạt động và đã hoàn thành thủ tục chấm dứt hiệu lực MST
    "02": "moved",  # NNT đã chuyển cơ quan thuế quản lý
    "03": "closing",  # NNT ngừng hoạt động nhưng chưa hoàn thành thủ tục chấm dứt hiệu lực MST
    "04": "active",  # NNT đang hoạt động (hộ, cá nhân kinh doanh chưa đủ thông tin đăng ký thuế)
    "05": "suspended",  # NNT tạm ngừng hoạt động, kinh doanh
    "06": "not_at_address",  # NNT không hoạt động tại địa chỉ đã đăng ký
    "07": "bankruptcy",  # NNT chờ làm thủ tục phá sản
}

# VSIC 2018 retail lines in stores: code -> (name, consumer goods for T10)
BUSINESS_LINES = {
    "4711": (
        "Bán lẻ lương thực, thực phẩm, đồ uống, thuốc lá chiếm tỷ trọng lớn trong các cửa hàng kinh doanh tổng hợp",
        True,
    ),
    "4719": ("Bán lẻ khác trong các cửa hàng kinh doanh tổng hợp", True),
    "4721": ("Bán lẻ lương thực trong các cửa hàng chuyên doanh", True),
    "4722": ("Bán lẻ thực phẩm trong các cửa hàng chuyên doanh", True),
    "4723": ("Bán lẻ đồ uống trong các cửa hàng chuyên doanh", True),
    "4724": ("Bán lẻ sản phẩm thuốc lá, thuốc lào trong các cửa hàng chuyên doanh", True),
    "4730": ("Bán lẻ nhiên liệu động cơ trong các cửa hàng chuyên doanh", False),
    "4741": ("Bán lẻ máy vi tính, thiết bị ngoại vi, phần mềm và thiết bị viễn thông", True),
    "4742": ("Bán lẻ thiết bị nghe nhìn trong các cửa hàng chuyên doanh", True),
    "4751": (
        "Bán lẻ vải, len, sợi, chỉ khâu và hàng dệt khác trong các cửa hàng chuyên doanh",
        True,
    ),
    "4752": ("Bán lẻ đồ ngũ kim, sơn, kính và thiết bị lắp đặt khác trong xây dựng", False),
    "4753": ("Bán lẻ thảm, đệm, chăn, màn, rèm, vật liệu phủ tường và sàn", True),
    "4759": ("Bán lẻ đồ điện gia dụng, giường, tủ, bàn, ghế và đồ dùng gia đình khác", True),
    "4761": ("Bán lẻ sách, báo, tạp chí, văn phòng phẩm trong các cửa hàng chuyên doanh", True),
    "4763": ("Bán lẻ thiết bị, dụng cụ thể dục, thể thao trong các cửa hàng chuyên doanh", True),
    "4764": ("Bán lẻ trò chơi, đồ chơi trong các cửa hàng chuyên doanh", True),
    "4771": (
        "Bán lẻ hàng may mặc, giày dép, hàng da và giả da trong các cửa hàng chuyên doanh",
        True,
    ),
    "4772": (
        "Bán lẻ thuốc, dụng cụ y tế, mỹ phẩm và vật phẩm vệ sinh trong các cửa hàng chuyên doanh",
        True,
    ),
    "4773": ("Bán lẻ hàng hóa khác mới trong các cửa hàng chuyên doanh", True),
    "4774": ("Bán lẻ hàng hóa đã qua sử dụng trong các cửa hàng chuyên doanh", True),
}
CONSUMER_GOODS_LINES = tuple(k for k, (_, consumer) in BUSINESS_LINES.items() if consumer)
