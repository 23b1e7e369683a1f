"""Field names, code lists and file layout of the telecom operators' fibre-coverage reports (``telecom``).

Each licensed fixed-broadband operator reports to the Department of
Information and Communications, every quarter, the address points at which
it can connect fibre-to-the-home (FTTH) as of the quarter's end (periodic
telecom-infrastructure reporting under the Law on Telecommunications 2023). Address points carry the address code
shared by every operator (mã địa chỉ, from the national address database),
so one household served by two operators appears in both reports and must be
counted once. The statistics office (Cục Thống kê) supplies, once a year, the
number of households per commune from the population and household register:
the denominator of T12.

Landing layout (below the landing URL)::

    telecom/ftth/YYYY/ftth_<operator>_<YYYY>q<Q>_YYYYMMDD.csv   one file per operator and quarter
    telecom/hogiadinh/sohogiadinh_<YYYY>_YYYYMMDD.csv           households per commune, yearly

Each operator keeps its own conventions (``OPERATOR_FORMATS``): separator,
byte-order mark, how it writes the quarter and the dates; the staging reads
them all.
"""

from __future__ import annotations

SOURCE = "telecom"

DATASETS: dict[str, str] = {
    "coverage": "ftth/**/ftth_*.csv",
    "household": "hogiadinh/sohogiadinh_*.csv",
}

COVERAGE_COLUMNS = [
    "KyBaoCao",  # report quarter: "Quý I/2025", "2025-Q1", "Q1/2025", "2025Q1"
    "MaNhaMang",  # operator: see OPERATORS
    "MaXa",  # GSO code of the commune of the address point
    "MaDiaChi",  # national address code of the address point (shared by all operators)
    "DiaChi",  # street address: dropped (the code identifies the dwelling)
    "CongNghe",  # access technology: see TECHNOLOGIES
    "NgaySanSang",  # date FTTH became available at the address
]
ADDRESS_CODE_PATTERN = r"^[0-9A-Z]{8,20}$"

# operator as written in the reports -> code
OPERATORS = {
    "VNPT": "VNPT",
    "Viettel": "VIETTEL",
    "FPT Telecom": "FPT",
    "FPT": "FPT",
    "MobiFone": "MOBIFONE",
}
TECHNOLOGIES = ["GPON", "XGS-PON", "EPON", "AON"]

# operator code -> (file name token, separator, BOM, quarter style, date format)
OPERATOR_FORMATS = {
    "VNPT": ("vnpt", ",", True, "Quý {roman}/{year}", "%d/%m/%Y"),
    "VIETTEL": ("viettel", ",", False, "{year}-Q{q}", "%Y-%m-%d"),
    "FPT": ("fpt", "\t", False, "Q{q}/{year}", "%Y%m%d"),
    "MOBIFONE": ("mobifone", ",", False, "{year}Q{q}", "%d/%m/%Y"),
}
OPERATOR_LABEL = {
    "VNPT": "VNPT",
    "VIETTEL": "Viettel",
    "FPT": "FPT Telecom",
    "MOBIFONE": "MobiFone",
}
ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}

HOUSEHOLD_COLUMNS = [
    "NamSoLieu",  # year the count is for (as of 1 January)
    "MaXa",  # GSO commune code
    "TenXa",
    "SoHoGiaDinh",  # households
    "NguonSoLieu",  # e.g. "Cục Thống kê tỉnh Hậu Giang"
]
MAX_HOUSEHOLDS_PER_COMMUNE = 60_000
HOUSEHOLD_DELIVERY = (1, 15)  # (month, day) the count of year Y is delivered, in year Y
