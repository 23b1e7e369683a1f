"""Field names, code lists and file layout of the enterprise registry's annual digital-transformation survey.

The Department of Planning and Investment (Sở Kế hoạch và Đầu tư, business
registration office) keeps the enterprise registry synchronised with the
National Business Registration System (Hệ thống thông tin quốc gia về đăng ký
doanh nghiệp, https://dangkykinhdoanh.gov.vn); once a year, with the
Department of Information and Communications, it surveys the enterprises of
the province on their digital transformation and exports one row per
enterprise: registry fields (tax code, size class, VSIC section, commune,
operating status) and the survey's answers (e-contracts, digital platforms).
Everything about the format lives here, in one place.

Landing layout (below the landing URL)::

    enterprise/khaosat/YYYY/khaosat_cds_<survey year>_YYYYMMDD.csv

CSV, comma separated, UTF-8 with BOM (the export is opened in Excel first).
The survey of year Y is closed and delivered in the middle of December of Y
(``KHAO_SAT_DELIVERY``); ``NamKhaoSat`` carries the year it describes.
"""

from __future__ import annotations

SOURCE = "enterprise"

DATASETS: dict[str, str] = {"survey": "khaosat/**/khaosat_cds_*.csv"}

KHAO_SAT_DELIVERY = (12, 15)  # (month, day) of year Y the survey of year Y is delivered

SURVEY_COLUMNS = [
    "NamKhaoSat",  # survey year, e.g. 2025
    "MaSoThue",  # enterprise tax code = enterprise code, 10 digits (63xxxxxxxx in Hậu Giang): hashed
    "TenDoanhNghiep",  # enterprise name: dropped
    "NguoiDaiDienPhapLuat",  # legal representative's name: personal data, never loaded
    "SoDienThoai",  # contact phone: personal data, never loaded
    "MaXa",  # GSO code of the commune of the head office
    "QuyMo",  # size class (Decree 80/2021/NĐ-CP art. 5): see SIZE_CLASS
    "MaNganhKinhTe",  # VSIC 2018 section letter of the main business line: see SECTIONS
    "TinhTrangHoatDong",  # operating status in the registry: see STATUS
    "SoLaoDong",  # employees (annual average)
    "SuDungHopDongDienTu",  # did the enterprise sign e-contracts in the year: Có / Không / empty
    "NenTangSoSuDung",  # digital platforms used, "; "-separated: see PLATFORMS
]
PERSONAL_FIELDS = ["TenDoanhNghiep", "NguoiDaiDienPhapLuat", "SoDienThoai"]
TAX_CODE_PATTERN = r"^\d{10}(-\d{3})?$"  # enterprise 10 digits; a dependent unit 10-3

# Decree 80/2021/NĐ-CP art. 5: micro, small, medium (SMEs) and the rest (large)
SIZE_CLASS = {"Siêu nhỏ": "micro", "Nhỏ": "small", "Vừa": "medium", "Lớn": "large"}
SME_CLASSES = ("micro", "small", "medium")

# VSIC 2018 sections (Decision 27/2018/QĐ-TTg)
SECTIONS = {
    "A": "Nông nghiệp, lâm nghiệp và thủy sản",
    "B": "Khai khoáng",
    "C": "Công nghiệp chế biến, chế tạo",
    "D": "Sản xuất và phân phối điện, khí đốt, nước nóng, hơi nước và điều hoà không khí",
    "E": "Cung cấp nước; hoạt động quản lý và xử lý rác thải, nước thải",
    "F": "Xây dựng",
    "G": "Bán buôn và bán lẻ; sửa chữa ô tô, mô tô, xe máy và xe có động cơ khác",
    "H": "Vận tải kho bãi",
    "I": "Dịch vụ lưu trú và ăn uống",
    "J": "Thông tin và truyền thông",
    "K": "Hoạt động tài chính, ngân hàng và bảo hiểm",
    "L": "Hoạt động kinh doanh bất động sản",
    "M": "Hoạt động chuyên môn, khoa học và công nghệ",
    "N": "Hoạt động hành chính và dịch vụ hỗ trợ",
    "O": "Hoạt động của Đảng Cộng sản, tổ chức chính trị - xã hội, quản lý Nhà nước, an ninh quốc phòng",
    "P": "Giáo dục và đào tạo",
    "Q": "Y tế và hoạt động trợ giúp xã hội",
    "R": "Nghệ thuật, vui chơi và giải trí",
    "S": "Hoạt động dịch vụ khác",
    "T": "Hoạt động làm thuê các công việc trong các hộ gia đình",
    "U": "Hoạt động của các tổ chức và cơ quan quốc tế",
}
COMMERCE_SECTIONS = ("G",)  # "trong lĩnh vực thương mại": wholesale and retail trade

# operating status as the National Business Registration System shows it
STATUS = {
    "Đang hoạt động": "active",
    "Tạm ngừng kinh doanh": "suspended",
    "Đang làm thủ tục giải thể": "dissolving",
    "Đã giải thể": "dissolved",
    "Không hoạt động tại địa chỉ đã đăng ký": "not_at_address",
}
ACTIVE_STATUSES = ("active",)

YES_NO = {"có": True, "co": True, "1": True, "x": True, "không": False, "khong": False, "0": False}

# digital platforms of the MIC's programme for SMEs (nền tảng số hỗ trợ doanh nghiệp nhỏ và vừa)
PLATFORMS = {
    "Hóa đơn điện tử": "e_invoice",
    "Chữ ký số": "digital_signature",
    "Hợp đồng điện tử": "e_contract",
    "Kế toán": "accounting",
    "Quản lý bán hàng": "sales_management",
    "Quản trị nhân sự": "human_resources",
    "Quản trị doanh nghiệp (ERP)": "erp",
    "Quản lý quan hệ khách hàng (CRM)": "crm",
    "Thương mại điện tử": "e_commerce",
    "Thanh toán điện tử": "e_payment",
    "Làm việc và họp trực tuyến": "online_meeting",
    "Lưu trữ đám mây": "cloud_storage",
    "Khác": "other",  # written "Khác: <name>" by the respondent
}
NO_PLATFORM = ("Không sử dụng", "Không")
PLATFORM_SEPARATOR = ";"
MAX_EMPLOYEES = 100_000  # more is not a Hậu Giang enterprise: a typing error
