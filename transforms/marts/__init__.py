"""Marts: the indicator catalogue and engine (``mart.indicator_value``) and the analysts' views."""

from __future__ import annotations

from pathlib import Path

import duckdb

from transforms.marts.drilldown import compute_drilldowns
from transforms.marts.indicators import Indicator, compute_indicators
from transforms.marts.reconciliation import DEFAULT_TOLERANCE, build_reconciliation
from transforms.marts.together import count_together, counted_whole, forget_together
from warehouse.delta import Change

VIEWS_SQL = Path(__file__).with_name("views.sql")


def build_marts(
    con: duckdb.DuckDBPyConnection,
    catalogue: list[Indicator],
    run_id: str,
    blocked: dict[str, str],
    tolerance: float = DEFAULT_TOLERANCE,
    changes: dict[str, Change] | None = None,
) -> dict[str, int]:
    """The marts step of a run: every indicator's values (blocked ones keep their last), their
    drill-downs, the reconciliation with the national portal's figures (``tolerance`` in
    points), then the views. ``changes``: what an incremental core step changed (only the
    periods it touched are computed again, ``transforms.marts.scope``)."""
    # no incremental core step (a first load, --full: no change recorded), so every partial
    # count per day is counted whole: the counts that read the same rows are made together
    together = {} if changes else count_together(con, counted_whole(con, catalogue, blocked))
    try:
        rows = compute_indicators(con, catalogue, run_id, blocked, changes, together)
        scoped = {
            r[0] for r in con.execute("select distinct indicator_id from _now_periods").fetchall()
        }
        compute_drilldowns(con, catalogue, run_id, blocked, scoped, changes, together)
    finally:
        forget_together(con, together)
    build_reconciliation(con, tolerance)
    con.execute(VIEWS_SQL.read_text(encoding="utf-8"))
    return rows
