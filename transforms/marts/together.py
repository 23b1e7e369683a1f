"""Partial counts per day counted together: one scan of a table for every count that reads the
same rows.

A night that counts whole (a first load, ``--full``, new definitions) counts each flow
indicator's partial counts per day, and each of its drill-downs', from the rows of its table
(``transforms.marts.daily.daily_sql``). Many of those counts read the very same rows, resolved
the same way (T02 and its drill-downs by procedure and agency, the 766 comparisons of the
same dossiers): they differ only in what they group by and what they count. Counted
together, the rows are read and their units resolved once, and grouped by each count's keys
at once (``grouping sets``). Each count's rows are then kept in a temp table of their own,
found by the text of the query they stand for (``count_days`` uses the table instead of
running the query): the same SQL, so the same rows, only computed in one pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import NamedTuple

import duckdb

from transforms.marts.daily import Counts, counts_per_day, daily_sql
from transforms.marts.drilldown import drilldown_counts
from transforms.marts.indicators import Indicator, Reading, rows_sql, shape
from warehouse.build import existing_tables, table_columns

PREFIX = "_daily_pre_"  # the temp tables of the counts counted together


def _expression(key: str) -> str:
    """A key's SQL expression (``expression as name`` -> expression)."""
    return key.rsplit(" as ", 1)[0].strip() if " as " in key else key.strip()


class Taken(NamedTuple):
    """How one count's rows are taken out of the query made together."""

    mask: int  # its grouping set's ``grouping()`` value
    columns: str  # its keys, day and partial counts, named as the count names them
    nonzero: str  # the rows with a count (``count_days`` keeps no all-zero row)


def together_sql(group: Sequence[Counts], rows: str, date_column: str) -> tuple[str, list[Taken]]:
    """One query grouping ``rows`` (``rows_sql``: CTEs up to ``resolved``) by every count's keys
    and day at once (``_k<i>`` the distinct key expressions, ``_a<j>`` the distinct partial
    counts, ``_set`` the grouping set); and how to take each count's rows back out of it."""
    expressions = list(dict.fromkeys(_expression(k) for c in group for k in c.keys))
    measures = list(dict.fromkeys(sql for c in group for sql, _ in c.parts.partials))
    columns = [f"_k{i}" for i in range(len(expressions))] + ["_day"]
    sets, taken = [], []
    for counts in group:
        mine = [f"_k{expressions.index(_expression(k))}" for k in counts.keys] + ["_day"]
        sets.append(f"({', '.join(mine)})")
        parts = [(f"_a{measures.index(sql)}", name) for sql, name in counts.parts.partials]
        taken.append(
            Taken(
                # grouping(): one bit a column, the first the highest, set where not grouped by
                mask=sum(
                    1 << (len(columns) - 1 - i) for i, c in enumerate(columns) if c not in mine
                ),
                columns=", ".join(
                    [f"{c} as {n}" for c, n in zip(mine, [*counts.names, "_day"], strict=True)]
                    + [f"{a} as {name}" for a, name in parts]
                ),
                nonzero=" or ".join(f"{a} <> 0" for a, _ in parts),
            )
        )
    keyed = ", ".join(f"{e} as _k{i}" for i, e in enumerate(expressions))
    counted = ", ".join(f"{m} as _a{j}" for j, m in enumerate(measures))
    sql = f"""{rows}
select {keyed}, {date_column} as _day, {counted}, grouping({", ".join(columns)}) as _set
from resolved
group by grouping sets ({", ".join(dict.fromkeys(sets))})"""
    return sql, taken


def count_together(
    con: duckdb.DuckDBPyConnection, planned: Sequence[tuple[Counts, Reading]]
) -> dict[str, str]:
    """Count together the ``planned`` counts that read the same rows; return, for each count so
    counted, the text of its query (``daily_sql``) -> the temp table holding its rows.

    A count whose rows no other count reads is left to ``count_days``, as before."""
    groups: dict[tuple[str, str], list[tuple[Counts, Reading]]] = {}
    for counts, how in planned:
        whole = replace(how, scoped=False)
        rows = rows_sql(counts.ind, whole)
        groups.setdefault((rows, str(counts.ind.date_column)), []).append((counts, whole))
    found: dict[str, str] = {}
    for (rows, date_column), members in groups.items():
        if len(members) < 2:
            continue
        sql, taken = together_sql([c for c, _ in members], rows, date_column)
        con.execute(f"create or replace temp table {PREFIX}all as {sql}")
        for (counts, how), out in zip(members, taken, strict=True):
            table = f"{PREFIX}{len(found)}"
            con.execute(
                f"""create or replace temp table {table} as
                    select {out.columns} from {PREFIX}all
                    where _set = {out.mask} and ({out.nonzero})"""
            )
            found[daily_sql(counts, how)] = table
        con.execute(f"drop table {PREFIX}all")
    return found


def counted_whole(
    con: duckdb.DuckDBPyConnection, catalogue: Sequence[Indicator], blocked: Mapping[str, str]
) -> list[tuple[Counts, Reading]]:
    """Every partial count per day a night that counts whole makes (``compute_indicators``,
    then ``compute_drilldowns``), with how it reads its rows: the indicators computed (not
    blocked, their tables built) and their drill-downs."""
    present = existing_tables(con)
    planned = []
    for ind in catalogue:
        if ind.id in blocked or any(
            t not in present for t in [*ind.inputs, ind.from_] if not t.startswith("source:")
        ):
            continue
        parts = counts_per_day(con, ind)
        if parts is not None:
            planned.append((Counts(ind, parts), shape(ind, table_columns(con, ind.from_))))
        for d in ind.dimensions if ind.drilldown else []:
            table = d.from_ or ind.from_
            counts = drilldown_counts(con, ind, d) if table in present else None
            if counts is not None:
                planned.append((counts, shape(ind, table_columns(con, table))))
    return planned


def forget_together(con: duckdb.DuckDBPyConnection, found: dict[str, str]) -> None:
    """Drop the temp tables of the counts counted together."""
    for table in found.values():
        con.execute(f"drop table if exists {table}")
