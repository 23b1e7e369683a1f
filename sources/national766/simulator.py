"""Recorded answers of the national portal's 766 endpoints (the embedded default).

Writes, below ``<landing>/national766/``, what the portal would answer for
every month, quarter and year of the range, computed (``figures.py``) from
the one-stop system's records — read from ``<landing>/dvc/`` when its
simulator wrote them there, else simulated apart with the same seed and
scale. The same answers are served live by the replica (``chiso portal``).
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import polars as pl

from sources.national766 import constants as c
from sources.national766.figures import (
    DvcRecords,
    evaluate,
    items_for,
    load_landing,
    periods_between,
    render_page,
)
from sources.national766.periods import page_name


def dvc_records(landing: Path, start: date, end: date, scale: float, seed: int) -> DvcRecords:
    """The one-stop system's records of the range: the landing's, else simulated apart."""
    records = load_landing(landing)
    first, last = records.first_day, records.last_day
    if first and last and first <= start and last >= end:
        return records
    from sources.dvc.simulator import simulate as simulate_dvc

    with tempfile.TemporaryDirectory() as tmp:
        simulate_dvc(tmp, start, end, scale=scale, seed=seed)
        return load_landing(tmp)


def write_answers(root: Path, figures: pl.DataFrame, periods: list, stamp: date | None) -> int:
    """One file per endpoint, period and page, as the portal answers with ``provinceCode``."""
    written = 0
    for time_type, start, end in periods:
        province = c.province_for(end)[0]
        day = min(end, stamp) if stamp else end
        for group in c.GROUPS:
            items = items_for(
                figures,
                group,
                time_type,
                start.year,
                (start.month - 1) // 3 + 1,
                start.month,
                province,
            )
            pages = max(1, -(-len(items) // c.PAGE_SIZE))
            for page in range(1, pages + 1):
                path = root / group / page_name(group, time_type, start, day, page)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(render_page(items, page, c.PAGE_SIZE))
                written += 1
    return written


def simulate(
    landing_root: str | Path, start: date, end: date, scale: float = 1.0, seed: int = 190
) -> dict[str, int]:
    """Write the portal's answers for every period overlapping ``start..end``; return counts."""
    landing = Path(landing_root)
    records = dvc_records(landing, start, end, scale, seed)
    periods = [p for p in periods_between(start, end) if p[1] <= end and p[2] >= start]
    figures = evaluate(records, periods)
    files = write_answers(landing / c.SOURCE, figures, periods, records.last_day)
    return {"files": files, "items": figures.height, "periods": len(periods)}
