"""Source ``health``: the health sector's list of examination and treatment facilities.

The Department of Health's list of medical examination and treatment
facilities (hospitals, district health centres, commune health stations and
clinics; Law on Medical Examination and Treatment 2023), identified by their
social-insurance facility code, with the day each started running the
electronic health book integrated on the VNeID application (Project 06,
Decision 06/QĐ-TTg of 2022). Sent as it stands at the end of every month.

- ``constants.py``: file layout, field names and code lists;
- ``connector.py``: reads the list into a raw frame of strings;
- ``simulator.py``: writes the month-end lists, deterministic from a seed.

Targets fed: T15.
"""

from __future__ import annotations

from datetime import date

from sources.base import Source, file_date
from sources.health import connector, constants


def month_of(name: str) -> tuple[date, date] | None:
    """A list covers the month of the day stamped in its name."""
    day = file_date(name)
    if day is None:
        return None
    nxt = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return date(day.year, day.month, 1), date.fromordinal(nxt.toordinal() - 1)


SOURCE = Source(
    name=constants.SOURCE,
    title_vi="Danh sách cơ sở khám bệnh, chữa bệnh (Sở Y tế)",
    title_en="Health sector: examination and treatment facilities",
    datasets=constants.DATASETS,
    readers=connector.READERS,
    cadence="monthly",
    order=("facility",),
    period_of=month_of,
    due_days=10,
    tracked_dataset="facility",
)
