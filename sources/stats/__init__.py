"""Source ``stats``: the provincial statistics office's GRDP and digital-economy value added.

The statistics office (Cục Thống kê tỉnh Hậu Giang; from 03/2025 Chi cục
Thống kê under the GSO, Ministry of Finance) publishes the province's gross
regional domestic product (GRDP, Tổng sản phẩm trên địa bàn) at current
prices and the value added of the digital economy (giá trị tăng thêm kinh tế
số: the core digital economy — ICT and digital content — and the digital
economy in other sectors), in billion VND, as an Excel table: quarterly
(preliminary, the 6th of the month after the quarter, revising the year's
earlier quarters) and yearly (official, restating the quarters). The latest
delivery of a period wins. The method follows the GSO's measurement of the
digital economy (national 2022: 12.67% of GDP, core 7.77%, other sectors 4.91%).

- ``constants.py``: workbook layout, header patterns, labels and code lists;
- ``connector.py``: workbook -> tidy frame (period, measure, value as strings);
- ``simulator.py``: the releases, deterministic from a seed.

Target fed: T07 (digital economy share of GRDP ≥ 20%), province only, by quarter and year.
"""

from __future__ import annotations

from datetime import date

from sources.base import Source
from sources.stats import connector, constants


def period_of(name: str) -> tuple[date, date] | None:
    """The quarter or year a release covers, from its file name."""
    if m := constants.QUARTERLY_NAME.match(name):
        quarter, year = int(m.group(1)), int(m.group(2))
        start = date(year, 3 * quarter - 2, 1)
        end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        return start, date.fromordinal(end.toordinal() - 1)
    if m := constants.YEARLY_NAME.match(name):
        year = int(m.group(1))
        return date(year, 1, 1), date(year, 12, 31)
    return None


SOURCE = Source(
    name=constants.SOURCE,
    title_vi="Cục Thống kê tỉnh: GRDP và giá trị tăng thêm kinh tế số",
    title_en="Provincial statistics office: GRDP and digital-economy value added",
    datasets=constants.DATASETS,
    readers=connector.READERS,
    cadence="quarterly",
    order=("quarterly", "yearly"),
    period_of=period_of,
    due_days=10,  # quarterly releases on the 6th of the next month; yearly official ones are not tracked
    tracked_dataset="quarterly",
)
