"""Source ``rankings``: the ministry's yearly provincial rankings, DTI and Vietnam ICT Index.

The Ministry of Information and Communications (Bộ Thông tin và Truyền
thông; from 03/2025 the Ministry of Science and Technology) publishes every
year the Digital Transformation Index of the provinces (DTI, Decision
922/QĐ-BTTTT of 2022 and its methodology; https://dti.gov.vn) and the
Vietnam ICT Index (readiness for ICT development and application): score and
rank (1–63) of every province. The tables are taken as CSV, one per index and
year, named by the year assessed and the publication date.

- ``constants.py``: file layout, field names, the 63 province codes;
- ``connector.py``: reads the tables (strings, as published);
- ``simulator.py``: every province's score and rank per year, deterministic from a seed.

Targets fed: R01 (DTI rank), R02 (ICT Index rank): keep or improve the previous year's rank.
"""

from __future__ import annotations

from datetime import date

from sources.base import Source
from sources.rankings import connector, constants


def period_of(name: str) -> tuple[date, date] | None:
    """The year a ranking table assesses, from its file name."""
    if m := constants.FILE_NAME.match(name):
        year = int(m.group(1))
        return date(year, 1, 1), date(year, 12, 31)
    return None


SOURCE = Source(
    name=constants.SOURCE,
    title_vi="Bộ TT&TT: xếp hạng chỉ số chuyển đổi số (DTI) và Vietnam ICT Index",
    title_en="Ministry rankings: provincial DTI and Vietnam ICT Index",
    datasets=constants.DATASETS,
    readers=connector.READERS,
    cadence="yearly",
    order=("dti", "ict"),
    period_of=period_of,
    due_days=304,  # the year's ranking is expected by the end of October of the next year
    tracked_dataset="dti",
)
