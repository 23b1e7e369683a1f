"""Layout, labels and code lists of the statistics office's GRDP and digital-economy tables (``stats``).

The provincial statistics office (Cục Thống kê, from 03/2025 Chi cục Thống kê
tỉnh) publishes the province's GRDP at current prices and the value added of
the digital economy as an Excel table: a title row, a status line, then a
two-row header merged the way a statistics office lays it out::

    STT | Chỉ tiêu | Đơn vị tính |                Năm 2024                |        Năm 2025         |
        |          |             | Quý I | Quý II | Quý III | Quý IV | Cả năm | Quý I | Quý II | Quý III |
    1   | Tổng sản phẩm trên địa bàn (GRDP) theo giá hiện hành | Tỷ đồng | ...
    2   | Giá trị tăng thêm kinh tế số                          | Tỷ đồng | ...
    2.1 | Trong đó: Kinh tế số lõi                              | Tỷ đồng | ...
    2.2 | Kinh tế số trong các ngành, lĩnh vực                  | Tỷ đồng | ...
    3   | Tỷ trọng giá trị tăng thêm kinh tế số trong GRDP      | %       | ...

A year header may also stand alone, merged over both header rows (annual
columns only). Units: billion VND (tỷ đồng), province only. Everything about
the format lives here.

Landing layout (below the landing URL)::

    stats/quy/GRDP_KTS_Q<q>_<YYYY>_YYYYMMDD.xlsx   quarterly release (preliminary), the 6th of the month after
                                                   the quarter: last year in full, this year to date
    stats/nam/GRDP_KTS_NAM_<YYYY>_YYYYMMDD.xlsx    yearly official figures (restate the year's quarters)

The latest delivery of a period wins.
"""

from __future__ import annotations

import re

SOURCE = "stats"

DATASETS: dict[str, str] = {
    "quarterly": "quy/**/GRDP_KTS_Q*_*.xlsx",
    "yearly": "nam/**/GRDP_KTS_NAM_*.xlsx",
}
QUARTERLY_NAME = re.compile(r"^GRDP_KTS_Q([1-4])_(\d{4})_\d{8}\.xlsx$", re.IGNORECASE)
YEARLY_NAME = re.compile(r"^GRDP_KTS_NAM_(\d{4})_\d{8}\.xlsx$", re.IGNORECASE)

# --- the tidy frame the connector returns (strings; `_row` added) ------------
COLUMNS = [
    "sheet",  # worksheet name
    "cell",  # address of the value cell, e.g. "E7"
    "area",  # the area named in the title, e.g. "Tỉnh Hậu Giang"
    "release",  # the status line as written, e.g. "Số liệu sơ bộ"
    "measure_code",  # STT column as written ("1", "2.1", ...)
    "measure",  # Chỉ tiêu, as written
    "unit",  # Đơn vị tính, as written
    "period",  # canonical period from the recognised headers: "2025-Q3" or "2025"
    "value",  # the cell's value as text
]

# --- header recognition ------------------------------------------------------
LABEL_HEADER = "chỉ tiêu"
CODE_HEADER = "stt"
UNIT_HEADER = "đơn vị tính"
HEADER_SEARCH_ROWS = 12  # the header must start within the first rows of the sheet
YEAR_HEADER = re.compile(r"^năm\s+(\d{4})(?:\s*\(([^)]*)\))?$")
PERIOD_HEADERS: dict[str, int | None] = {
    "quý i": 1,
    "quý ii": 2,
    "quý iii": 3,
    "quý iv": 4,
    "quý 1": 1,
    "quý 2": 2,
    "quý 3": 3,
    "quý 4": 4,
    "cả năm": None,
    "năm": None,
}
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
TITLE_AREA = re.compile(r"\b(tỉnh|thành phố)\s+(.+?)\s*$", re.IGNORECASE)
NOT_AVAILABLE = {"", "-", "..", "...", "…", "x"}  # statistical marks for "not published": no cell

# --- code lists (staging) ------------------------------------------------------
# measure label (normalised: lower case, "trong đó:" and leading dashes removed) -> measure code
MEASURES: dict[str, str] = {
    "tổng sản phẩm trên địa bàn (grdp) theo giá hiện hành": "grdp",
    "tổng sản phẩm trên địa bàn (grdp)": "grdp",
    "giá trị tăng thêm kinh tế số": "digital_economy",
    "kinh tế số lõi": "digital_core",
    "kinh tế số trong các ngành, lĩnh vực": "digital_sectors",
    "tỷ trọng giá trị tăng thêm kinh tế số trong grdp": "digital_share",
}
MEASURE_UNIT: dict[str, str] = {
    "grdp": "billion_vnd",
    "digital_economy": "billion_vnd",
    "digital_core": "billion_vnd",
    "digital_sectors": "billion_vnd",
    "digital_share": "percent",
}
UNITS: dict[str, str] = {"tỷ đồng": "billion_vnd", "%": "percent"}
RELEASES: dict[str, str] = {
    "số liệu ước tính": "estimate",
    "số liệu sơ bộ": "preliminary",
    "số liệu chính thức": "official",
}
# a province's quarter or year above this is not plausible (Hồ Chí Minh City's GRDP is ~1.8 million)
MAX_BILLION_VND = 2_000_000

# --- labels the simulator writes -------------------------------------------------
TITLE = "GIÁ TRỊ TĂNG THÊM KINH TẾ SỐ VÀ TỔNG SẢN PHẨM TRÊN ĐỊA BÀN TỈNH {area}"
SHEET = "GRDP_KTS"  # the sheet the format reads (else the only sheet with the header)
PUBLISHER = "Cục Thống kê tỉnh Hậu Giang"
ROWS = [  # STT, label, unit, measure code
    ("1", "Tổng sản phẩm trên địa bàn (GRDP) theo giá hiện hành", "Tỷ đồng", "grdp"),
    ("2", "Giá trị tăng thêm kinh tế số", "Tỷ đồng", "digital_economy"),
    ("2.1", "Trong đó: Kinh tế số lõi", "Tỷ đồng", "digital_core"),
    ("2.2", "Kinh tế số trong các ngành, lĩnh vực", "Tỷ đồng", "digital_sectors"),
    ("3", "Tỷ trọng giá trị tăng thêm kinh tế số trong GRDP", "%", "digital_share"),
]
