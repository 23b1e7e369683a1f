"""Field names, code lists and file layout of the information-systems inventory (``ict``).

The Department of Information and Communications (Sở Thông tin và Truyền
thông) keeps the province's inventory of state information systems (danh mục
hệ thống thông tin) for the security-by-level regime of Decree 85/2016/NĐ-CP
(levels 1–5) and Circular 12/2022/TT-BTTTT: for each system its owner
(đơn vị chủ quản), the level proposed in its dossier, the level approved and
the approving decision, and how far the level's security plan (phương án bảo
đảm an toàn) is implemented. The inventory is an Excel workbook, updated as
agencies report and sent quarterly: a title block, then one header row, then
one row per system. Everything about the format lives here.

Landing layout (below the landing URL, one folder per source)::

    ict/danhmuc/YYYY/DanhMucHTTT_YYYYQn_YYYYMMDD.xlsx

One workbook per quarter ``YYYYQn`` (the state at the quarter's end), sent in
the first half of the next month (the last stamp is the delivery date).
"""

from __future__ import annotations

import re

SOURCE = "ict"

DATASETS: dict[str, str] = {"system": "danhmuc/**/DanhMucHTTT_*.xlsx"}

FILE_NAME = re.compile(r"^DanhMucHTTT_(\d{4})Q([1-4])_\d{8}\.xlsx$", re.IGNORECASE)
SHEET = "Danh mục HTTT"
TITLE = "DANH MỤC HỆ THỐNG THÔNG TIN CỦA CÁC CƠ QUAN NHÀ NƯỚC TỈNH HẬU GIANG"

# --- inventory columns (header row of the sheet) ----------------------------
ROW_NO = "STT"
CODE = "Mã hệ thống"
NAME = "Tên hệ thống thông tin"
OWNER = "Mã đơn vị chủ quản"  # agency code, as in ref.agency
OWNER_NAME = "Đơn vị chủ quản"
OPERATOR = "Đơn vị vận hành"
PROPOSED_LEVEL = "Cấp độ đề xuất"  # 1–5
APPROVED_LEVEL = "Cấp độ được phê duyệt"  # 1–5, empty if not approved
DECISION = "Số quyết định phê duyệt"  # e.g. 125/QĐ-STTTT
APPROVED_ON = "Ngày phê duyệt"
PLAN_STATUS = "Tình trạng triển khai phương án"  # see PLAN_STATUS_CODES
PLAN_DATE = "Ngày cập nhật phương án"
IN_SERVICE_FROM = "Ngày đưa vào vận hành"
IN_SERVICE_TO = "Ngày ngừng vận hành"  # empty while in service
CONTACT_NAME = "Cán bộ đầu mối"  # personal data, never loaded
CONTACT_PHONE = "Điện thoại đầu mối"  # personal data, never loaded
NOTE = "Ghi chú"  # free text: never loaded

SYSTEM_COLUMNS = [
    ROW_NO,
    CODE,
    NAME,
    OWNER,
    OWNER_NAME,
    OPERATOR,
    PROPOSED_LEVEL,
    APPROVED_LEVEL,
    DECISION,
    APPROVED_ON,
    PLAN_STATUS,
    PLAN_DATE,
    IN_SERVICE_FROM,
    IN_SERVICE_TO,
    CONTACT_NAME,
    CONTACT_PHONE,
    NOTE,
]
PERSONAL_FIELDS = [CONTACT_NAME, CONTACT_PHONE, NOTE]

# --- the title block ----------------------------------------------------------
# "(Số liệu tính đến ngày 30/09/2025)" under the title: the date the inventory describes.
# The reader adds it to every row as the column AS_OF (empty when the line is missing).
AS_OF = "Số liệu tính đến ngày"
AS_OF_PATTERN = re.compile(r"tính đến ngày\s*(\d{1,2}/\d{1,2}/\d{4})", re.IGNORECASE)
RAW_COLUMNS = [*SYSTEM_COLUMNS, AS_OF]

# --- code lists ---------------------------------------------------------------
LEVELS = [1, 2, 3, 4, 5]  # Decree 85/2016/NĐ-CP art. 7–11
PLAN_STATUS_CODES = {
    "Đã triển khai đầy đủ": "full",
    "Đang triển khai một phần": "partial",
    "Chưa triển khai": "none",
}
PLAN_STATUS_EMPTY = "none"  # an empty cell: nothing implemented yet
