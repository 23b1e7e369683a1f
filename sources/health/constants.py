"""Field names, code lists and file layout of the health sector's facility list (``health``).

The Department of Health keeps the list of medical examination and treatment
facilities (cơ sở khám bệnh, chữa bệnh: hospitals, district health centres,
commune health stations, clinics), identified by the code the social
insurance system gives them (mã CSKCB: province code + 3 digits), with the
day each started running the electronic health book integrated on VNeID
(sổ sức khỏe điện tử, a task of Project 06, Decision 06/QĐ-TTg of 2022). It
sends the list as it stands at the end of every month.

Landing layout (below the landing URL)::

    health/cskcb/dmcskcb_YYYYMMDD.csv   the list at the end of a month, stamped with that day

UTF-8 with byte-order mark, semicolon separated (a Vietnamese-locale Excel
export), dates dd/MM/yyyy.
"""

from __future__ import annotations

SOURCE = "health"

DATASETS: dict[str, str] = {"facility": "cskcb/dmcskcb_*.csv"}
SEPARATOR = ";"
DATE_FORMAT = "%d/%m/%Y"

COLUMNS = [
    "MaCSKCB",  # facility code (social insurance), e.g. 93001
    "TenCSKCB",
    "LoaiHinh",  # facility type, see FACILITY_TYPE
    "HinhThucSoHuu",  # ownership, see OWNERSHIP
    "MaXa",  # commune (GSO code)
    "NgayTrienKhaiSoSKDTVNeID",  # day the e-health book on VNeID went live; empty if not yet
]
FACILITY_CODE = r"^\d{5}$"
FACILITY_TYPE: dict[str, str] = {
    "Bệnh viện": "hospital",
    "Trung tâm y tế": "health_centre",
    "Trạm y tế": "commune_health_station",
    "Phòng khám": "clinic",
}
OWNERSHIP: dict[str, str] = {"Công lập": "public", "Tư nhân": "private"}
