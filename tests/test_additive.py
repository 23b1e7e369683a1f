"""Counts per day before the periods: which measures qualify, and the same numbers either way."""

from __future__ import annotations

import duckdb
import pytest

from flows import registry
from transforms.marts import drilldown as drill
from transforms.marts import indicators as ind_sql
from transforms.marts.additive import split_additive
from transforms.marts.indicators import load_catalogue, shape
from warehouse.build import existing_tables, table_columns


def test_counts_and_filtered_counts_are_split_into_partial_counts():
    parts = split_additive(
        [
            "count(*) - count(*) filter (where is_overdue) - count(*) FILTER (WHERE a or (b and c))",
            "count(*) filter (where period_x between valid_from and coalesce(valid_to, date '9999-12-31'))",
        ]
    )
    assert parts is not None
    assert parts.rewritten == ("sum(_part0) - sum(_part1) - sum(_part2)", "sum(_part3)")
    assert [sql for sql, _ in parts.partials] == [
        "count(*)",
        "count(*) filter (where is_overdue)",
        "count(*) FILTER (WHERE a or (b and c))",
        "count(*) filter (where period_x between valid_from and coalesce(valid_to, date '9999-12-31'))",
    ]


@pytest.mark.parametrize(
    "measure",
    [
        "count(distinct index_year)",  # distinct counts do not add up
        "max(rank)",
        "sum(enrolled)",  # a sum of a column may not be whole: left to the rows
        "count(*) filter (where period_end between valid_from and valid_to)",  # the period's date
        "coalesce(count(*), 0)",
        "count(*) / 2 + avg(x)",
    ],
)
def test_anything_but_counts_and_arithmetic_is_counted_from_the_rows(measure):
    assert split_additive(["count(*)", measure]) is None


def test_a_bracket_inside_a_text_literal_does_not_end_the_filter():
    parts = split_additive(["count(*) filter (where x = ')') + 1"])
    assert parts is not None
    assert parts.partials[0][0] == "count(*) filter (where x = ')')"
    assert parts.rewritten == ("sum(_part0) + 1",)


def _rows(con, sql: str) -> list[tuple]:
    return con.execute(f"select * from ({sql}) order by all").fetchall()


def test_per_day_counts_give_every_value_and_drilldown_the_rows_give(small_warehouse, monkeypatch):
    """Each indicator and drill-down the per-day path computes, computed again from the rows:
    the same numerators, denominators and members, row for row."""
    catalogue = load_catalogue(registry.catalogue_files())
    con = duckdb.connect(str(small_warehouse), read_only=True)
    present = existing_tables(con)
    daily = [i for i in catalogue if ind_sql.daily_parts(i) is not None and i.from_ in present]
    assert {"T02", "T03", "T04", "T05"} <= {i.id for i in daily}
    compared = 0
    for ind in daily:
        how = shape(ind, table_columns(con, ind.from_))
        per_day = _rows(con, ind_sql.indicator_sql(ind, how))
        drills = [
            (d, drill.drilldown_sql(ind, d, present, how))
            for d in ind.dimensions
            if not d.from_ or d.from_ in present
        ]
        per_day_drills = [_rows(con, sql) for _, sql in drills if sql]
        with monkeypatch.context() as m:
            m.setattr(ind_sql, "daily_parts", lambda i: None)
            m.setattr(drill, "daily_parts", lambda i: None)
            assert "_daily" not in ind_sql.indicator_sql(ind, how)
            assert _rows(con, ind_sql.indicator_sql(ind, how)) == per_day, ind.id
            from_rows = [
                _rows(con, drill.drilldown_sql(ind, d, present, how)) for d, sql in drills if sql
            ]
        assert from_rows == per_day_drills, ind.id
        assert any(r[8] for r in per_day), ind.id  # something was counted
        compared += 1
    assert compared >= 4
    con.close()
