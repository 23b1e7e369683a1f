"""Field names, code lists and file layout of the one-stop system exports (``dvc``).

The record shape is the one the provincial systems for handling administrative
procedures (Hệ thống thông tin giải quyết TTHC) send to the national public
service portal (Cổng Dịch vụ công quốc gia); see
``shared/plan-190/definitions.md``. Everything about the format lives here,
in one place, so a province whose export differs edits this file only.

Landing layout (below the landing URL, one folder per source)::

    dvc/catalogue/thutuc_YYYYMMDD.csv     procedure catalogue snapshot
    dvc/catalogue/cungcap_YYYYMMDD.csv    procedures provided by each agency (snapshot)
    dvc/hoso/YYYY/hoso_YYYYMMDD.jsonl     dossiers synchronised that day, one JSON record a line
    dvc/danhgia/YYYY/danhgia_YYYYMMDD.csv satisfaction ratings and complaints received that day
"""

from __future__ import annotations

SOURCE = "dvc"

# dataset -> glob below the source folder
DATASETS: dict[str, str] = {
    "procedure": "catalogue/thutuc_*.csv",
    "provision": "catalogue/cungcap_*.csv",
    "dossier": "hoso/**/hoso_*.jsonl",
    "rating": "danhgia/**/danhgia_*.csv",
}

DATE_FORMAT = "%Y%m%d%H%M%S"  # yyyyMMddHHmmss, as the national portal sends dates

# --- procedure catalogue (thutuc_*.csv), UTF-8, comma separated -------------
PROCEDURE_COLUMNS = [
    "MaTTHC",  # national procedure code, e.g. 1.001612
    "TenTTHC",
    "MaLinhVuc",
    "TenLinhVuc",
    "CapThucHien",  # agency level that handles it: see AGENCY_LEVEL
    "MucDo",  # highest service level the national catalogue allows: 2, 3, 4
    "DuDieuKienToanTrinh",  # 1 = eligible to be offered full-process online
    "YeuCauGiayToKetQua",  # 1 = the procedure's result is a document (read by the 766 rules); optional
]
PROCEDURE_OPTIONAL_COLUMNS = [
    "YeuCauGiayToKetQua"
]  # older catalogue exports lack it: read as empty
AGENCY_LEVEL = {"Cấp Tỉnh": "province", "Cấp Huyện": "district", "Cấp Xã": "commune"}

# --- provision by agency (cungcap_*.csv) ------------------------------------
PROVISION_COLUMNS = [
    "MaDonVi",  # agency code
    "MaTTHC",
    "MucDo",  # level at which this agency offers it now: 2, 3, 4
    "NgayCungCapToanTrinh",  # yyyyMMddHHmmss when offered full-process online; empty if not
]

# --- dossier record (hoso_*.jsonl) ------------------------------------------
DOSSIER_SCALAR_FIELDS = [
    "MaHoSo",  # e.g. 000.00.930.H93-250115-0001 (agency code - yymmdd - sequence)
    "MaTTHC",
    "TenTTHC",
    "MaLinhVuc",
    "TenLinhVuc",
    "KenhThucHien",
    "ChuHoSo",  # applicant name: personal data, never loaded
    "SoGiayToChuHoSo",  # citizen ID (12 digits) or tax code (10 or 13): hashed
    "LoaiDoiTuong",  # 1 citizen, 2 enterprise, 3 organisation
    "SoDienThoai",  # personal data, never loaded
    "Email",  # personal data, never loaded
    "NgayNopHoSo",
    "NgayTiepNhan",
    "NgayHenTra",
    "NgayKetThucXuLy",
    "NgayTra",
    "NgayTuChoi",
    "TrangThaiHoSo",
    "DonViXuLy",  # handling agency code
    "MaXaChuHoSo",  # GSO code of the ward/commune of the applicant's address (2025 record)
    "HinhThuc",  # 0 not requested, 1 result at the office, 2 by post, 3 online
    "TaiKhoanDuocXacThucVoiVNeID",  # 1 applicant account authenticated with VNeID, 0 not
    "HoSoCoThanhPhanSoHoa",  # 1 has digitised components
    "DuocThanhToanTrucTuyen",  # 1 paid online, 3 not
    "DuocLayTuKhoDMQG",  # 1 applicant data taken from the national databases, 0 not
    "MaCSDL",  # code of the national database the data came from (e.g. CSDLQGDC), empty if none
    "DongBoDVCQG",  # 1 the record was synchronised to the national public-service portal, 0 not
]
DOSSIER_LIST_FIELDS = {
    "TaiLieuNop": ["TepDinhKemId", "TenTepDinhKem", "DuocSoHoa", "DuocTaiSuDung"],
    "DanhSachGiayToKetQua": ["TenGiayTo", "MaGiayToKetQua", "DuongDanTepTinKetQua"],
    "DanhSachLePhi": ["TenPhiLePhi", "MucPhi"],
}
PERSONAL_FIELDS = ["ChuHoSo", "SoDienThoai", "Email"]
# What the pipeline reads of each record: personal fields and free text are never parsed at all
# (also the larger part of a record: reading only these halves the parse time).
DOSSIER_READ_FIELDS = [
    f for f in DOSSIER_SCALAR_FIELDS if f not in (*PERSONAL_FIELDS, "TenTTHC", "TenLinhVuc")
]
DOSSIER_READ_LIST_FIELDS = {
    "TaiLieuNop": ["DuocSoHoa"],
    "DanhSachGiayToKetQua": ["MaGiayToKetQua", "DuongDanTepTinKetQua"],
    "DanhSachLePhi": ["MucPhi"],
}
NATIONAL_DATABASES = {  # MaCSDL: the national databases a one-stop system takes applicant data from
    "CSDLQGDC": "national population database",
    "CSDLQGDKDN": "national business registration database",
}

CHANNEL = {1: "in_person", 2: "online", 3: "postal"}
STATUS = {
    1: "new",
    2: "received",
    3: "refused_at_reception",
    4: "processing",
    5: "documents_requested",
    6: "fees_requested",
    7: "withdrawn",
    8: "stopped",
    9: "processed",
    10: "result_returned",
}
NOT_RECEIVED_STATUSES = (1, 3)
FINISHED_STATUSES = (9, 10)
APPLICANT_TYPE = {1: "citizen", 2: "enterprise", 3: "organisation"}

# --- ratings (danhgia_*.csv) -------------------------------------------------
RATING_COLUMNS = [
    "MaHoSo",
    "NgayDanhGia",  # yyyyMMddHHmmss
    "MucDoHaiLong",  # see SATISFACTION
    "CoKhieuNai",  # 1 complaint about reception or handling, 0 none
]
SATISFACTION = {1: "very_satisfied", 2: "satisfied", 3: "acceptable", 4: "dissatisfied"}
DISSATISFIED = (4,)

# --- pull API through the provincial integration platform (LGSP) -------------
# The provincial one-stop system is reached through the integration platform:
# app credentials (AppName / AccessKey / SecretKey) are exchanged for a bearer
# token with an expiry, then the dossier list is read in pages over a window of
# the records' update time (sources/dvc/api.py). The replica of the platform
# (sources/portal/) serves the same shape.
API_TOKEN_PATH = (
    "/lgsp/auth/token"  # POST {"AppName", "AccessKey", "SecretKey"} -> access_token, expires_in
)
API_DOSSIER_PATH = (
    "/lgsp/dvc/v1/hoso"  # GET fromDate, toDate (yyyyMMddHHmmss, [from, to)), page, pageSize
)
API_UPDATED_FIELD = (
    "NgayCapNhat"  # when the record version was synchronised; the window filters on it
)
API_PAGE_SIZE = 500
API_ENV = {  # the credentials, from the environment only (never the repository, never a log)
    "app_name": "CHISO_DVC_API_APP",
    "access_key": "CHISO_DVC_API_KEY",
    "secret_key": "CHISO_DVC_API_SECRET",
}
