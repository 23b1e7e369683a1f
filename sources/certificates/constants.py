"""Field names, code lists and file layout of the certificate issuers' reports (``certificates``).

Every licensed issuer of public digital-signature certificates (tổ chức cung
cấp dịch vụ chứng thực chữ ký số công cộng, licensed under Decree
130/2018/NĐ-CP and, since 2025, Decree 23/2025/NĐ-CP on e-signatures and
trust services under the Law on E-Transactions 2023) and the Government
Cipher Committee (Ban Cơ yếu Chính phủ, certificates for officials) reports the certificates it issued to
subscribers of the province. Each issuer sends its own file: once the full
register (sổ đăng ký, opening balance when the province starts receiving
the reports) and then a monthly report of the certificates issued in the
month and of the earlier ones revoked in it (re-sent with the revocation
day). Holders are identified by the 12-digit citizen ID (căn cước), which
the warehouse keeps only as a keyed hash; names are never loaded.

Landing layout (below the landing URL, one folder per issuer)::

    certificates/<issuer>/sodangky_<issuer>_YYYYMMDD.csv   full register as of the day before the stamp
    certificates/<issuer>/chungthu_<issuer>_YYYYMMDD.csv   monthly report, stamped with the month's last day

Datasets: ``register`` (every issuer's register) and one ``issued_<issuer>``
per issuer for the monthly reports; all share one template and one staging
table.

Issuers share the report template (the columns below) but not their
habits: VNPT and FPT write dd/MM/yyyy, Viettel and the Cipher Committee ISO
dates, BKAV yyyyMMdd in Excel's "Unicode text" (UTF-16, tab separated).
"""

from __future__ import annotations

SOURCE = "certificates"

COLUMNS = [
    "MaToChucCungCap",  # issuer code, see ISSUERS
    "SoHieuChungThu",  # certificate serial number (hex)
    "LoaiThueBao",  # subscriber type, see SUBSCRIBER_TYPE
    "SoGiayTo",  # citizen ID (12 digits) of a person, tax code of an organisation: hashed
    "TenThueBao",  # subscriber name: personal data, never loaded
    "MaXaThuongTru",  # commune (GSO code) of the subscriber's residence or seat; may be empty
    "HinhThucChungThu",  # form, see CERTIFICATE_FORM
    "NgayCap",  # day issued (valid from)
    "NgayHetHan",  # day it expires (valid through)
    "NgayThuHoi",  # day revoked; empty if not revoked
]
PERSONAL_FIELDS = ["TenThueBao", "SoGiayTo"]
DATE_FIELDS = ["NgayCap", "NgayHetHan", "NgayThuHoi"]

ISSUERS: dict[str, str] = {
    "VNPT-CA": "Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT-CA, VNPT SmartCA)",
    "VIETTEL-CA": "Tập đoàn Công nghiệp - Viễn thông Quân đội (Viettel-CA, MySign)",
    "BKAV-CA": "Công ty Cổ phần BKAV (BKAV-CA)",
    "FPT-CA": "Công ty TNHH Hệ thống Thông tin FPT (FPT-CA)",
    "BCY-CA": "Ban Cơ yếu Chính phủ (chứng thư số chuyên dùng Chính phủ)",
}
# issuer -> (date format it writes, text encoding, field separator)
ISSUER_FORMAT: dict[str, tuple[str, str, str]] = {
    "VNPT-CA": ("%d/%m/%Y", "utf-8-sig", ","),
    "VIETTEL-CA": ("%Y-%m-%d", "utf-8", ","),
    "BKAV-CA": ("%Y%m%d", "utf-16", "\t"),
    "FPT-CA": ("%d/%m/%Y", "utf-8", ","),
    "BCY-CA": ("%Y-%m-%d %H:%M:%S", "utf-8", ","),
}


def monthly_dataset(issuer: str) -> str:
    """The dataset of an issuer's monthly reports: ``issued_vnpt_ca`` for VNPT-CA.

    One dataset per issuer, so that each issuer's delivery is compared with its
    own history (volume) and a missing issuer is visible in the manifest.
    """
    return "issued_" + issuer.lower().replace("-", "_")


# the register (any issuer) and each issuer's monthly reports; glob below certificates/
DATASETS: dict[str, str] = {
    "register": "*/sodangky_*.csv",
    **{monthly_dataset(i): f"{i}/chungthu_{i}_*.csv" for i in ISSUERS},
}

SUBSCRIBER_TYPE = {1: "individual", 2: "organisation", 3: "individual_in_organisation"}
INDIVIDUAL_TYPES = (1, 3)  # a person, identified by citizen ID
CERTIFICATE_FORM = {1: "usb_token", 2: "remote_signing", 3: "sim_pki"}
CITIZEN_ID = r"^\d{12}$"
TAX_CODE = r"^(\d{10}|\d{10}-\d{3}|\d{13})$"
# citizen ID: 3 digits province of birth registration, 1 digit sex and century, 2 digits year of
# birth, 6 digits serial (Circular 07/2016/TT-BCA, later 59/2021/TT-BCA); the century digit ->
CENTURY_OF_DIGIT = {
    0: 1900,
    1: 1900,
    2: 2000,
    3: 2000,
    4: 2100,
    5: 2100,
    6: 2200,
    7: 2200,
    8: 1800,
    9: 1800,
}
