"""Source-scoped table rules: a day with a tenth of the usual volume, and a whole district missing,
each block the source's indicators (and only those)."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
from conftest import CATALOGUE_FILES, SOURCES, all_suites, build_model, lineage

from expectations.gate import blocked_indicators, failed_critical
from expectations.run import run_checks
from flows import registry
from sources.extract import register_sources
from transforms import core
from transforms.marts.indicators import load_catalogue


def working_days(start: date, n: int) -> list[date]:
    days, d = [], start
    while len(days) < n:
        if d.weekday() < 5:
            days.append(d)
        d += timedelta(days=1)
    return days


def test_low_volume_day_and_missing_district_block_the_sources_indicators(geo_db, tmp_path):
    con = geo_db
    register_sources(con, SOURCES)
    days = working_days(date(2025, 3, 3), 11)  # no holiday in March 2025
    for i, day in enumerate(days):
        run, rows = (
            ("r2", 10) if i == len(days) - 1 else ("r1", 100)
        )  # the last day: a tenth of the usual
        con.execute(
            """insert into meta.manifest (file_id, source, dataset, url, name, sha256, file_date, status,
                   rows_read, rows_loaded, rows_quarantined, rows_duplicate, run_id, extracted_at)
               values (?, 'dvc', 'dossier', ?, ?, 'x', ?, 'loaded', ?, ?, 0, 0, ?, now())""",
            [f"f{i}", f"u{i}", f"hoso_{day:%Y%m%d}.jsonl", day, rows, rows, run],
        )
    # run r2 also delivered 600 dossiers, none from district 937 (Thị xã Long Mỹ)
    con.execute(
        """create table stg.dvc_dossier as
           select 'D' || i as dossier_id, a.agency_code, 'r2' as _run_id, date '2025-03-17' as _file_date
           from range(600) as t(i)
           join (select agency_code, row_number() over (order by agency_code) - 1 as k
                 from core.dim_agency where district_code is not null and district_code <> '937') as a
             on a.k = i % 80"""
    )
    build_model(con, "core.fct_delivery_volume")
    views = core.build_run_views(con, {"dvc": registry.SLICES["dvc"].models}, "r2")
    assert views == ["core.delivery_volume_dvc", "core.delivery_districts_dvc"]
    ratio = con.execute("select volume_ratio from core.delivery_volume_dvc").fetchall()
    assert ratio == [(0.1,)]
    empty = con.execute(
        "select district_code from core.delivery_districts_dvc where n_rows = 0"
    ).fetchall()
    assert empty == [("937",)]
    con.execute("checkpoint")
    db = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()[0]
    con.close()

    chosen = [all_suites()[k] for k in ("dvc_delivery_volume", "dvc_delivery_districts")]
    results = run_checks(db, chosen)
    assert {(r.suite, r.scope, r.success) for r in results} == {
        ("dvc_delivery_volume", "source:dvc", False),
        ("dvc_delivery_districts", "source:dvc", False),
    }
    blocked = blocked_indicators(
        {i.id: i.inputs for i in load_catalogue(CATALOGUE_FILES)},
        lineage(),
        failed_critical(results),
    )
    assert set(blocked) == {i.id for i in load_catalogue(CATALOGUE_FILES) if i.source == "dvc"}
    assert "volume_ratio" in blocked["T02"] and "n_rows" in blocked["T02"]


def test_run_views_are_tables_of_the_runs_rows_made_again_each_run(tmp_path):
    """A run view is kept as a table of the run's rows at the core step (the checks read it
    several times); one written as a view by an older warehouse is replaced."""
    (tmp_path / "run_views").mkdir()
    (tmp_path / "run_views" / "delivered.sql").write_text(
        "select count(*) as n from stg.t where _run_id = '{run_id}'"
    )
    con = duckdb.connect()
    con.execute("create schema stg; create schema core")
    con.execute("create table stg.t as select 'r1' as _run_id from range(3)")
    con.execute(
        "create table core.fct_delivery_volume as select 'x' as source, 'r1' as run_id, 3 as n"
    )
    con.execute("create view core.delivered_x as select 0 as n")  # an older warehouse's view
    made = core.build_run_views(con, {"x": tmp_path}, "r1")
    assert made == ["core.delivery_volume_x", "core.delivered_x"]
    kinds = con.execute(
        "select table_name from duckdb_tables() where schema_name = 'core' order by 1"
    ).fetchall()
    assert kinds == [("delivered_x",), ("delivery_volume_x",), ("fct_delivery_volume",)]
    assert con.execute("select n from core.delivered_x").fetchall() == [(3,)]
    con.execute("insert into stg.t values ('r2'), ('r2')")
    core.build_run_views(con, {"x": tmp_path}, "r2")
    assert con.execute("select n from core.delivered_x").fetchall() == [(2,)]
    assert con.execute("select count(*) from core.delivery_volume_x").fetchall() == [(0,)]
