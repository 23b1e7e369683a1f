"""Which periods of each indicator a night computes again; the others keep their rows.

A flow indicator's row of a period aggregates the rows of its table whose date falls in the
period, so when the core step merged some keys of that table (``transforms.core.incremental``)
only the periods holding those keys' dates — as published (``delta.<table>_old``) and as they
are now — can change. A night therefore computes, per indicator:

- the periods holding a changed row's old or new date (its ``date_column``);
- the periods it has no published row for yet (a new month, an earlier first delivery);
- the periods published as ``source_missing`` (a late extract may have come);

and keeps the published rows of every other period (their values and ``value_run_id``).
Everything is computed again — the indicator is not scoped — when its rows can move in ways
the dates do not show: a stock indicator, a target computed from the data, an input other
than its own table that changed, its table rebuilt rather than merged, a unit table that
changed, or no published rows to keep (first computation, blocked last time).

The scope is the temp table ``_scope`` (indicator, period); ``_now_periods`` lists each
scoped indicator's periods tonight (a published period no longer computed is dropped).
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from transforms.marts.indicators import Indicator, periods_ctes
from warehouse.build import scalar
from warehouse.delta import MERGED, Change, delta_table

ALWAYS_READ = ("core.dim_unit",)  # read by every indicator's SQL besides its own inputs
# a published row ``v`` of a period the indicator has tonight and does not compute again
KEPT_PERIOD = """
    exists (select 1 from _now_periods as n where n.indicator_id = v.indicator_id
            and n.period_type = v.period_type and n.period_start = v.period_start
            and n.period_end = v.period_end)
    and not exists (select 1 from _scope as s where s.indicator_id = v.indicator_id
                    and s.period_type = v.period_type and s.period_start = v.period_start
                    and s.period_end = v.period_end)"""


def scoped_indicators(
    con: duckdb.DuckDBPyConnection,
    indicators: Iterable[Indicator],
    changes: dict[str, Change],
    previous: str | None,
) -> set[str]:
    """Fill ``_scope`` and ``_now_periods``; return the indicators computed by period.

    ``changes``: what the core step did to each table (empty: not an incremental run, every
    indicator is computed whole). ``previous``: the table of published values (or None).
    """
    con.execute(
        """create or replace temp table _scope (
               indicator_id varchar, period_type varchar, period_start date, period_end date)"""
    )
    con.execute("create or replace temp table _now_periods as select * from _scope limit 0")
    if not changes or previous is None:
        return set()
    scoped = set()
    days: dict[tuple[str, str], str] = {}  # (table, date column) -> its changed days, once
    for ind in indicators:
        if _scopable(con, ind, changes, previous):
            _fill(con, ind, _changed_days(con, ind, changes.get(ind.from_), days), previous)
            scoped.add(ind.id)
    return scoped


def _changed_days(
    con: duckdb.DuckDBPyConnection,
    ind: Indicator,
    own: Change | None,
    made: dict[tuple[str, str], str],
) -> str:
    """A temp table of the days (``day``) the merged rows of ``ind``'s table held in its date
    column, as published and as they are now; made once per table and column."""
    if own is None or not own.changed or not own.key or not ind.date_column:
        return "(select cast(null as date) as day where false)"
    found = (ind.from_, ind.date_column)
    if found not in made:
        name = f"_days_{len(made)}"
        column = ind.date_column
        con.execute(
            f"""create or replace temp table {name} as
                select {column} as day from {delta_table(ind.from_, "old")}
                union
                select {column} from {delta_table(ind.from_, "new")}"""
        )
        made[found] = name
    return made[found]


def _changed(changes: dict[str, Change], table: str) -> bool:
    change = changes.get(table)
    return change is not None and change.changed


def _scopable(
    con: duckdb.DuckDBPyConnection, ind: Indicator, changes: dict[str, Change], previous: str
) -> bool:
    if ind.period_join != "flow" or not ind.date_column or ind.target_expr:
        return False
    others = (ind.inputs | ind.drilldown_inputs | set(ALWAYS_READ)) - {ind.from_}
    if any(_changed(changes, t) for t in others if t.startswith("core.")):
        return False
    own = changes.get(ind.from_)
    if own is None or (own.changed and own.how != MERGED):
        return False
    published = con.execute(
        f"""select count(*), count(*) filter (where status = 'blocked')
            from {previous} where indicator_id = ?""",
        [ind.id],
    ).fetchone()
    return bool(published and published[0] and not published[1])


def _fill(con: duckdb.DuckDBPyConnection, ind: Indicator, dates: str, previous: str) -> None:
    """``ind``'s periods tonight, and those of them to compute (``dates``: the changed days)."""
    con.execute(
        f"""insert into _now_periods
            with {periods_ctes(ind)}
            select '{ind.id}', period_type, period_start, period_end from periods"""
    )
    con.execute(
        f"""insert into _scope
            with

            now as (
                select * from _now_periods where indicator_id = ?
            ),

            published as (
                select distinct period_type, period_start, period_end, status
                from {previous} where indicator_id = ?
            ),

            days as (
                select distinct day from {dates} where day is not null
            ),

            touched as (
                select n.* from now as n
                where exists (select 1 from days where day between n.period_start and n.period_end)
            ),

            new_or_missing as (
                select n.* from now as n
                where not exists (
                    select 1 from published as p
                    where p.period_type = n.period_type and p.period_end = n.period_end
                      and p.period_start = n.period_start and p.status <> 'source_missing')
            )

            select * from touched
            union
            select * from new_or_missing""",
        [ind.id, ind.id],
    )


def keep_values(con: duckdb.DuckDBPyConnection, ind: Indicator, run_id: str) -> int:
    """Append the published rows of ``ind``'s periods outside its scope to ``_values``."""
    return int(
        scalar(
            con,
            """insert into _values
               select indicator_id, period_type, period_start, period_end, period_label, admin_level,
                      admin_code, admin_name, numerator, denominator, value, target, comparator,
                      unit, met, status, status_reason, ?, value_run_id, geo_view, exact,
                      unit_valid_from
               from _previous as v
               where indicator_id = ? and period_start is not null and """
            + KEPT_PERIOD,
            [run_id, ind.id],
        )
        or 0
    )


def forget_recomputed_periods(con: duckdb.DuckDBPyConnection, ind: Indicator) -> None:
    """Delete the published drill-down rows of ``ind`` that the night replaces: its periods in
    scope and the periods it no longer has. The others stay, with their run (the ranking is
    theirs)."""
    con.execute(
        """delete from mart.indicator_drilldown as v
           where indicator_id = ? and not ("""
        + KEPT_PERIOD
        + ")",
        [ind.id],
    )
