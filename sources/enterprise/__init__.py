"""Source ``enterprise``: the enterprise registry with its annual digital-transformation survey.

The Department of Planning and Investment keeps the province's copy of the
National Business Registration System (https://dangkykinhdoanh.gov.vn; Law on
Enterprises 2020, Decree 01/2021/NĐ-CP) and, with the Department of
Information and Communications, surveys every enterprise once a year on its
digital transformation. One CSV a year: one row per enterprise (tax code,
size class per Decree 80/2021/NĐ-CP, VSIC 2018 section, commune, operating
status, e-contracts used, digital platforms used).

- ``constants.py``: file layout, field names and code lists;
- ``connector.py``: reads the export into a raw frame of strings;
- ``simulator.py``: writes the same files, deterministic from a seed, at a chosen scale.

Targets fed: T08 (e-contracts in commerce), T09 (SMEs using digital platforms).
"""

from __future__ import annotations

import re
from datetime import date

from sources.base import Source
from sources.enterprise import connector, constants

_YEAR = re.compile(r"khaosat_cds_(\d{4})_")


def period_of(name: str) -> tuple[date, date] | None:
    """The survey year a file describes, from its name (``khaosat_cds_2025_20251215.csv``)."""
    m = _YEAR.search(name)
    return (date(int(m[1]), 1, 1), date(int(m[1]), 12, 31)) if m else None


SOURCE = Source(
    name=constants.SOURCE,
    title_vi="Cơ sở dữ liệu doanh nghiệp và khảo sát chuyển đổi số doanh nghiệp hằng năm",
    title_en="Enterprise registry and annual enterprise digital-transformation survey",
    datasets=constants.DATASETS,
    readers=connector.READERS,
    cadence="yearly",
    order=("survey",),
    period_of=period_of,
    due_days=90,
    tracked_dataset="survey",
)
