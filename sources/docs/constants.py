"""Field names, code lists and file layout of the document-management system's export (``docs``).

The provincial document-management and operations system (Hệ thống quản lý văn
bản và điều hành, QLVBĐH) keeps, for every agency on it, the work files (hồ sơ
công việc) its officers open and handle. Its monthly report "Danh sách hồ sơ
công việc phát sinh, kết thúc trong tháng" is exported as a CSV with the
Vietnamese column headers the report shows; the metadata follow the input
fields of a work file in Decree 30/2020/NĐ-CP (Appendix VI: mã hồ sơ, tiêu đề,
thời gian bắt đầu / kết thúc, số lượng văn bản) plus the system's own flags
(processed in the network environment, secrecy level under the Law on
Protection of State Secrets 2018). Everything about the format lives here.

Landing layout (below the landing URL, one folder per source)::

    docs/hosocongviec/YYYY/hscv_YYYYMM_YYYYMMDD.csv

One file per calendar month ``YYYYMM``, delivered early the next month (the
last stamp is the delivery date). A file lists every work file opened or
closed in that month with its state at the month's end, so a file opened in
one month and closed in a later one comes twice; the later row wins.
UTF-8 with BOM (as Excel opens it), comma separated.
"""

from __future__ import annotations

SOURCE = "docs"

DATASETS: dict[str, str] = {"work_file": "hosocongviec/**/hscv_*.csv"}

FILE_PREFIX = "hscv"

# --- work file report (hscv_*.csv) ------------------------------------------
CODE = "Mã hồ sơ"  # agency identifier . year . number in the year, e.g. 000.10.00.H93.2025.00123
AGENCY = (
    "Mã định danh đơn vị"  # agency code (Decision 20/2020/QĐ-TTg identifiers), as in ref.agency
)
AGENCY_NAME = "Tên đơn vị"
TITLE = "Tiêu đề hồ sơ"  # free text, may name citizens: never loaded
OFFICER_NAME = "Người lập hồ sơ"  # personal data, never loaded
OFFICER_ACCOUNT = "Tài khoản người lập"  # login of the officer: keyed hash
OPENED = "Ngày mở hồ sơ"  # dd/MM/yyyy
CLOSED = "Ngày kết thúc"  # dd/MM/yyyy, empty while the file is open
STATUS = "Trạng thái"
ONLINE = "Xử lý trên môi trường mạng"  # created and handled end to end in the system
SECRECY = "Độ mật"
N_DOCUMENTS = "Số lượng văn bản"
UPDATED = "Thời gian cập nhật"  # dd/MM/yyyy HH:mm:ss

WORK_FILE_COLUMNS = [
    CODE,
    AGENCY,
    AGENCY_NAME,
    TITLE,
    OFFICER_NAME,
    OFFICER_ACCOUNT,
    OPENED,
    CLOSED,
    STATUS,
    ONLINE,
    SECRECY,
    N_DOCUMENTS,
    UPDATED,
]
PERSONAL_FIELDS = [TITLE, OFFICER_NAME, OFFICER_ACCOUNT]

DATE_FORMAT = "%d/%m/%Y"
DATETIME_FORMAT = "%d/%m/%Y %H:%M:%S"

# --- code lists ---------------------------------------------------------------
STATUS_CODES = {"Đang xử lý": "open", "Đã kết thúc": "closed", "Đã nộp lưu": "archived"}
OPEN_STATUSES = ("open",)
ONLINE_CODES = {"Có": True, "Không": False, "1": True, "0": False}
# Law on Protection of State Secrets 2018, art. 8: three secrecy degrees; "Thường" = not secret
SECRECY_CODES = {
    "Thường": "none",
    "Mật": "confidential",
    "Tối mật": "secret",
    "Tuyệt mật": "top_secret",
}

MAX_DOCUMENTS = 2000  # more documents than this in one work file is not believable
