"""Layout, field names and code lists of the ministry's published rankings (``rankings``).

The Ministry of Information and Communications (from 03/2025 the Ministry of
Science and Technology) publishes, once a year, the rank (1–63) and score of
every province in two indices; the province takes the published table as CSV:

- DTI, the provincial Digital Transformation Index (methodology of 2022:
  1,000 points — foundations 500, activities 500: digital government,
  digital economy, digital society); values are normalised to 0–1. Exported
  from the DTI portal's table with Excel's Vietnamese settings: UTF-8 with
  BOM, ``;`` separated, decimal comma, a closing "Trung bình cả nước"
  (national average) row with no code and no rank.
- Vietnam ICT Index (readiness for ICT development and application),
  provinces' table: UTF-8, ``,`` separated, decimal point.

Landing layout (below the landing URL)::

    rankings/dti/DTI_cap_tinh_<YYYY>_YYYYMMDD.csv        index year, then publication date
    rankings/ict/ICT_Index_cap_tinh_<YYYY>_YYYYMMDD.csv

Province codes are the GSO's two-digit codes of the 63 provinces (2008–2025);
Hậu Giang is 93.
"""

from __future__ import annotations

import re

SOURCE = "rankings"

DATASETS: dict[str, str] = {
    "dti": "dti/**/DTI_cap_tinh_*.csv",
    "ict": "ict/**/ICT_Index_cap_tinh_*.csv",
}
FILE_NAME = re.compile(r"^(?:DTI|ICT_Index)_cap_tinh_(\d{4})_\d{8}\.csv$", re.IGNORECASE)

# --- DTI table (dti/*.csv) -------------------------------------------------------
DTI_COLUMNS = [
    "STT",
    "Mã tỉnh",  # GSO province code, 2 digits (Excel may drop the leading zero)
    "Tỉnh, thành phố",
    "Năm",  # the year assessed
    "Chỉ số DTI",  # 0-1, decimal comma
    "Xếp hạng DTI",  # 1-63
    "Chính quyền số",
    "Xếp hạng Chính quyền số",
    "Kinh tế số",
    "Xếp hạng Kinh tế số",
    "Xã hội số",
    "Xếp hạng Xã hội số",
]
DTI_SEPARATOR = ";"

# --- Vietnam ICT Index table (ict/*.csv) ---------------------------------------------
ICT_COLUMNS = [
    "STT",
    "Mã tỉnh",
    "Tỉnh/Thành phố",
    "Năm",
    "Hạ tầng kỹ thuật",  # technical infrastructure sub-index, 0-1
    "Hạ tầng nhân lực",  # human resources sub-index
    "Ứng dụng CNTT",  # IT applications sub-index
    "ICT Index",  # 0-1
    "Xếp hạng",  # 1-63
]

# raw column -> English name, per index (the staging renames once)
FIELDS: dict[str, dict[str, str]] = {
    "DTI": {
        "Mã tỉnh": "province_code",
        "Tỉnh, thành phố": "province_name",
        "Năm": "index_year",
        "Chỉ số DTI": "score",
        "Xếp hạng DTI": "rank",
        "Chính quyền số": "government_score",
        "Xếp hạng Chính quyền số": "government_rank",
        "Kinh tế số": "economy_score",
        "Xếp hạng Kinh tế số": "economy_rank",
        "Xã hội số": "society_score",
        "Xếp hạng Xã hội số": "society_rank",
    },
    "ICT": {
        "Mã tỉnh": "province_code",
        "Tỉnh/Thành phố": "province_name",
        "Năm": "index_year",
        "Hạ tầng kỹ thuật": "infrastructure_score",
        "Hạ tầng nhân lực": "human_resources_score",
        "Ứng dụng CNTT": "applications_score",
        "ICT Index": "score",
        "Xếp hạng": "rank",
    },
}
SUMMARY_ROW = re.compile(r"^(trung bình|bình quân|tổng|cả nước)", re.IGNORECASE)  # not a province
N_PROVINCES = 63
HAU_GIANG = "93"

# GSO codes and names of the 63 provinces (before the 2025 mergers)
PROVINCES: dict[str, str] = {
    "01": "Hà Nội",
    "02": "Hà Giang",
    "04": "Cao Bằng",
    "06": "Bắc Kạn",
    "08": "Tuyên Quang",
    "10": "Lào Cai",
    "11": "Điện Biên",
    "12": "Lai Châu",
    "14": "Sơn La",
    "15": "Yên Bái",
    "17": "Hòa Bình",
    "19": "Thái Nguyên",
    "20": "Lạng Sơn",
    "22": "Quảng Ninh",
    "24": "Bắc Giang",
    "25": "Phú Thọ",
    "26": "Vĩnh Phúc",
    "27": "Bắc Ninh",
    "30": "Hải Dương",
    "31": "Hải Phòng",
    "33": "Hưng Yên",
    "34": "Thái Bình",
    "35": "Hà Nam",
    "36": "Nam Định",
    "37": "Ninh Bình",
    "38": "Thanh Hóa",
    "40": "Nghệ An",
    "42": "Hà Tĩnh",
    "44": "Quảng Bình",
    "45": "Quảng Trị",
    "46": "Thừa Thiên Huế",
    "48": "Đà Nẵng",
    "49": "Quảng Nam",
    "51": "Quảng Ngãi",
    "52": "Bình Định",
    "54": "Phú Yên",
    "56": "Khánh Hòa",
    "58": "Ninh Thuận",
    "60": "Bình Thuận",
    "62": "Kon Tum",
    "64": "Gia Lai",
    "66": "Đắk Lắk",
    "67": "Đắk Nông",
    "68": "Lâm Đồng",
    "70": "Bình Phước",
    "72": "Tây Ninh",
    "74": "Bình Dương",
    "75": "Đồng Nai",
    "77": "Bà Rịa - Vũng Tàu",
    "79": "Hồ Chí Minh",
    "80": "Long An",
    "82": "Tiền Giang",
    "83": "Bến Tre",
    "84": "Trà Vinh",
    "86": "Vĩnh Long",
    "87": "Đồng Tháp",
    "89": "An Giang",
    "91": "Kiên Giang",
    "92": "Cần Thơ",
    "93": "Hậu Giang",
    "94": "Sóc Trăng",
    "95": "Bạc Liêu",
    "96": "Cà Mau",
}

# published figures the simulator keeps (index, year) -> (rank, publication date)
PUBLISHED = {
    ("DTI", 2022): (17, None),  # DTI 2022: Hậu Giang 17/63
    ("ICT", 2020): (
        32,
        "2021-04-26",
    ),  # Vietnam ICT Index 2020, announced 26/4/2021: 32/63, up 15 places
}
