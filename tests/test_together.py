"""Partial counts per day made together (one scan for every count that reads the same rows)
are the counts made one by one: the same values, drill-downs and stored counts."""

from __future__ import annotations

import shutil

import duckdb
from conftest import CATALOGUE_FILES

import transforms.marts as marts
from transforms.marts import build_marts
from transforms.marts.daily import daily_sql
from transforms.marts.indicators import load_catalogue
from transforms.marts.together import PREFIX, count_together, counted_whole

TABLES = [
    "mart.indicator_value",
    "mart.indicator_drilldown",
    "meta.indicator_daily",
    "meta.drilldown_daily",
]


def test_counts_made_together_are_the_counts_made_apart(small_warehouse, tmp_path, monkeypatch):
    catalogue = load_catalogue(CATALOGUE_FILES)
    together, apart = tmp_path / "together.duckdb", tmp_path / "apart.duckdb"
    for db in (together, apart):
        shutil.copy(small_warehouse, db)

    with duckdb.connect(str(together)) as con:
        planned = counted_whole(con, catalogue, {})
        found = count_together(con, planned)
        made = {
            c.ind.id + ("/" + c.of["dimension"] if c.of else "")
            for c, how in planned
            if daily_sql(c, how) in found
        }
        # T02 and its drill-downs read the same dossiers: one scan
        assert {"T02", "T02/procedure", "T02/agency"} <= made
        for table in found.values():
            con.execute(f"drop table {table}")
        build_marts(con, catalogue, "r2", {}, changes={})  # as a first load
        left = con.execute("select table_name from duckdb_tables() where temporary").fetchall()
        assert not [t for (t,) in left if t.startswith(PREFIX)]  # dropped after the marts

    monkeypatch.setattr(marts, "count_together", lambda con, planned: {})
    with duckdb.connect(str(apart)) as con:
        build_marts(con, catalogue, "r2", {}, changes={})  # as a first load

    with duckdb.connect(str(together)) as con:
        con.execute(f"attach '{apart}' as apart (read_only)")
        for table in TABLES:
            rows = con.execute(f"select count(*) from {table}").fetchone()[0]
            assert rows > 0, table
            for a, b in ((table, f"apart.{table}"), (f"apart.{table}", table)):
                extra = con.execute(f"select * from {a} except all select * from {b}").fetchall()
                assert extra == [], (table, extra[:3])
