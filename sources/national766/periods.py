"""Naming of the 766 answers (recorded or pulled) by period: what a page's name says it covers."""

from __future__ import annotations

import re
from datetime import date, timedelta

NAME = re.compile(
    r"^766-(?P<group>[a-z-]+)-(?P<type>month|quarter|year)-(?P<year>\d{4})(?P<kind>[MQY])(?P<n>\d{0,2})-p(?P<page>\d{4})_\d{8}\.json$"
)


def period_key(time_type: str, start: date) -> str:
    if time_type == "month":
        return f"{start.year}M{start.month:02d}"
    if time_type == "quarter":
        return f"{start.year}Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}Y"


def period_bounds(time_type: str, year: int, n: int | None) -> tuple[date, date]:
    if time_type == "month":
        start = date(year, n or 1, 1)
        nxt = date(year + (start.month == 12), start.month % 12 + 1, 1)
    elif time_type == "quarter":
        start = date(year, 3 * ((n or 1) - 1) + 1, 1)
        nxt = date(year + (start.month == 10), (start.month + 2) % 12 + 1, 1)
    else:
        start, nxt = date(year, 1, 1), date(year + 1, 1, 1)
    return start, nxt - timedelta(days=1)


def page_name(group: str, time_type: str, start: date, end: date, page: int) -> str:
    """``766-<group>-<timeType>-<period>-p<page>_<period end>.json``."""
    return f"766-{group}-{time_type}-{period_key(time_type, start)}-p{page:04d}_{end:%Y%m%d}.json"


def period_of(name: str) -> tuple[date, date] | None:
    """The period an answer's name says it covers (completeness and the manifest read it)."""
    m = NAME.match(name)
    if not m:
        return None
    return period_bounds(m["type"], int(m["year"]), int(m["n"]) if m["n"] else None)
