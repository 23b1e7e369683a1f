"""Field names, code lists and file layout of the education sector database export (``education``).

The education sector database (Cơ sở dữ liệu ngành giáo dục, csdl.moet.gov.vn,
Circular 42/2021/TT-BGDĐT) holds every institution and its learners; the
Department of Education and Training exports, at each of the school year's
statistical reports (đầu năm at the start of the year, cuối học kỳ I, cuối
năm), two files: the institutions (level, public or not, commune, since when
it takes tuition without cash) and their learners aggregated per
institution: enrolled, and how many have a digital school record (học bạ số,
pupils) or a digital transcript (bảng điểm số, students of colleges and
universities).

Landing layout (below the landing URL)::

    education/truong/truong_<NamHoc>_<Ky>_YYYYMMDD.csv     institutions at the report
    education/hocsinh/hocsinh_<NamHoc>_<Ky>_YYYYMMDD.csv   learners per institution at the report

UTF-8, comma separated, dates dd/MM/yyyy; <NamHoc> is the school year
(2024-2025), <Ky> the report (see REPORT_TERM).
"""

from __future__ import annotations

SOURCE = "education"

DATASETS: dict[str, str] = {
    "institution": "truong/truong_*.csv",
    "enrolment": "hocsinh/hocsinh_*.csv",
}
DATE_FORMAT = "%d/%m/%Y"

INSTITUTION_COLUMNS = [
    "MaTruong",  # institution code in the sector database
    "TenTruong",
    "CapHoc",  # level, see LEVEL
    "LoaiHinh",  # ownership, see OWNERSHIP
    "MaXa",  # commune (GSO code) of the main site
    "NgayApDungThanhToanKhongDungTienMat",  # since when it takes tuition without cash; empty if not
    "NamHoc",  # school year, e.g. 2024-2025
    "KyBaoCao",  # report, see REPORT_TERM
]
ENROLMENT_COLUMNS = [
    "MaTruong",
    "NamHoc",
    "KyBaoCao",
    "TongSoNguoiHoc",  # learners enrolled (pupils, children or students)
    "SoHocSinhCoHocBaSo",  # pupils with a digital school record (general and continuing education)
    "SoSinhVienCoBangDiemSo",  # students with a digital transcript (colleges and universities)
]

LEVEL: dict[str, str] = {
    "Mầm non": "preschool",
    "Tiểu học": "primary",
    "THCS": "lower_secondary",
    "THPT": "upper_secondary",
    "GDTX": "continuing",
    "Cao đẳng": "college",
    "Đại học": "university",
}
PUPIL_LEVELS = ("primary", "lower_secondary", "upper_secondary", "continuing")
STUDENT_LEVELS = ("college", "university")
OWNERSHIP: dict[str, str] = {"Công lập": "public", "Tư thục": "private", "Dân lập": "community"}
# report -> its order within the school year
REPORT_TERM: dict[str, int] = {"DN": 1, "HK1": 2, "CN": 3}  # đầu năm, cuối học kỳ I, cuối năm
SCHOOL_YEAR = r"^\d{4}-\d{4}$"
# a school year is counted in the calendar year it ends in (2024-2025 -> 2025), dated by its last day
SCHOOL_YEAR_END = (5, 31)
MAX_LEARNERS = 60_000  # one institution with more is a typing error
