"""Source ``telecom``: the operators' quarterly fibre-coverage reports and the households per commune.

Licensed fixed-broadband operators (VNPT, Viettel, FPT Telecom, MobiFone)
each report every quarter the address points where FTTH can be connected, by
commune, identified by the address code every operator shares, so the
coverage of two operators overlaps and is counted once. The statistics office
supplies the households per commune once a year (population and household
register), the denominator. Reporting: telecom infrastructure reports to the
Department of Information and Communications (Law on Telecommunications
2023); households: GSO population statistics.

- ``constants.py``: file layout, field names, code lists and each operator's conventions;
- ``connector.py``: reads the files into raw frames of strings;
- ``simulator.py``: writes the same files, deterministic from a seed, at a chosen scale.

Targets fed: T12 (households able to get fibre broadband).
"""

from __future__ import annotations

import re
from datetime import date

from sources.base import Source
from sources.telecom import connector, constants

_QUARTER = re.compile(r"_(\d{4})q([1-4])_")
_YEAR = re.compile(r"sohogiadinh_(\d{4})_")


def period_of(name: str) -> tuple[date, date] | None:
    """The quarter an operator's report covers, or the year of a household count, from the file name."""
    if m := _QUARTER.search(name.lower()):
        year, q = int(m[1]), int(m[2])
        end_month = 3 * q
        last = date(year + (end_month == 12), end_month % 12 + 1, 1).toordinal() - 1
        return date(year, end_month - 2, 1), date.fromordinal(last)
    if m := _YEAR.search(name.lower()):
        return date(int(m[1]), 1, 1), date(int(m[1]), 12, 31)
    return None


SOURCE = Source(
    name=constants.SOURCE,
    title_vi="Báo cáo vùng phủ cáp quang (FTTH) của các doanh nghiệp viễn thông và số hộ gia đình theo xã",
    title_en="Telecom operators' fibre (FTTH) coverage reports and households per commune",
    datasets=constants.DATASETS,
    readers=connector.READERS,
    cadence="quarterly",
    order=("household", "coverage"),
    period_of=period_of,
    due_days=15,
    tracked_dataset="coverage",
)
