"""Source ``education``: the education sector database (CSDL ngành giáo dục).

The Ministry of Education and Training's sector database (csdl.moet.gov.vn,
Circular 42/2021/TT-BGDĐT) and the Department of Education and Training's
reports give, at each statistical report of the school year (start of year,
end of first semester, end of year), the institutions of the province and
their learners: enrolled, with a digital school record (học bạ số) or a
digital transcript (bảng điểm số), and whether the institution takes tuition
without cash (the cashless-payment scheme of Decision 1813/QĐ-TTg, 2021).

- ``constants.py``: file layout, field names and code lists;
- ``connector.py``: reads the two exports into raw frames of strings;
- ``simulator.py``: writes the reports, deterministic from a seed.

Targets fed: T13 (digital school records and transcripts), T14 (cashless
tuition in public institutions). Both annual: a school year counts in the
calendar year it ends in.
"""

from __future__ import annotations

import re
from datetime import date

from sources.base import Source
from sources.education import connector, constants


def school_year_of(name: str) -> tuple[date, date] | None:
    """A report covers its school year, 1 September to 31 August (from ``..._2024-2025_...``)."""
    found = re.search(r"_(\d{4})-(\d{4})_", name)
    if not found:
        return None
    return date(int(found.group(1)), 9, 1), date(int(found.group(2)), 8, 31)


SOURCE = Source(
    name=constants.SOURCE,
    title_vi="Cơ sở dữ liệu ngành giáo dục",
    title_en="Education sector database",
    datasets=constants.DATASETS,
    readers=connector.READERS,
    cadence="yearly",
    order=("institution", "enrolment"),
    period_of=school_year_of,
    due_days=30,
    tracked_dataset="enrolment",
)
