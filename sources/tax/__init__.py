"""Source ``tax``: the tax department's register of retail stores and their cash-register e-invoices.

The provincial tax department extracts from the tax-management system (TMS)
every retail business location (cửa hàng bán lẻ) of enterprises and household
businesses, with the date the location registered to issue e-invoices
generated from cash registers (Decree 123/2020/NĐ-CP art. 11 as amended by
Decree 70/2025/NĐ-CP; Circular 78/2021/TT-BTC; lookup at
https://hoadondientu.gdt.gov.vn). One snapshot of the register a month.

- ``constants.py``: file layout, field names and code lists;
- ``connector.py``: reads a snapshot into a raw frame of strings;
- ``simulator.py``: writes the same files, deterministic from a seed, at a chosen scale.

Targets fed: T10 (consumer-goods retail stores issuing cash-register e-invoices).
"""

from __future__ import annotations

import calendar
from datetime import date

from sources.base import Source, file_date
from sources.tax import connector, constants


def period_of(name: str) -> tuple[date, date] | None:
    """The month a snapshot closes (the month of the date stamped in its name)."""
    day = file_date(name)
    if day is None:
        return None
    return date(day.year, day.month, 1), date(
        day.year, day.month, calendar.monthrange(day.year, day.month)[1]
    )


SOURCE = Source(
    name=constants.SOURCE,
    title_vi="Cơ sở dữ liệu quản lý thuế: cửa hàng bán lẻ và hóa đơn điện tử khởi tạo từ máy tính tiền",
    title_en="Tax department register of retail stores and cash-register e-invoices",
    datasets=constants.DATASETS,
    readers=connector.READERS,
    cadence="monthly",
    order=("store",),
    period_of=period_of,
    due_days=5,
    tracked_dataset="store",
)
