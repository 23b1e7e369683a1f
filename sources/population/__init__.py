"""Source ``population``: the National Population Database's statistical extract.

The National Population Database (Cơ sở dữ liệu quốc gia về dân cư, Ministry
of Public Security, Decree 37/2021/NĐ-CP; Law on Residence 2020) gives the
province, each quarter, the number of residents of every commune by age band
and sex as of a cut-off day. No person record leaves the register: the
extract is aggregate.

- ``constants.py``: file layout, field names and the age bands;
- ``connector.py``: reads the extract into a raw frame of strings;
- ``simulator.py``: writes the quarterly extracts, deterministic from a seed.

Targets fed: T11 (the adult population, its denominator; the numerator comes
from the certificate issuers, source ``certificates``).
"""

from __future__ import annotations

from datetime import date

from sources.base import Source, file_date
from sources.population import connector, constants


def quarter_of(name: str) -> tuple[date, date] | None:
    """The quarter an extract covers: the quarter of the cut-off day stamped in its name."""
    day = file_date(name)
    if day is None:
        return None
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    end = date(day.year + 1, 1, 1) if first_month == 10 else date(day.year, first_month + 3, 1)
    return start, date.fromordinal(end.toordinal() - 1)


SOURCE = Source(
    name=constants.SOURCE,
    title_vi="Cơ sở dữ liệu quốc gia về dân cư (thống kê dân số theo nhóm tuổi)",
    title_en="National Population Database (residents by commune and age band)",
    datasets=constants.DATASETS,
    readers=connector.READERS,
    cadence="quarterly",
    order=("age_band",),
    period_of=quarter_of,
    due_days=15,
    tracked_dataset="age_band",
)
