"""Population extract: simulator, reader, staging rules, adults table, and an end-to-end run."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from conftest import (
    CATALOGUE_FILES,
    MODEL_FOLDERS,
    SOURCES,
    assert_core_builds_before_the_first_delivery,
    build_model,
    simulate_source,
    staging,
)

from sources.population import constants as c
from sources.population import quarter_of
from sources.population.connector import read_age_bands
from sources.population.simulator import simulate
from transforms.staging.stg_population import stage_age_bands

COMMUNE_A, COMMUNE_B = "31318", "31321"


def raw_rows(rows: list[dict], file_date: date = date(2025, 3, 31)) -> pl.DataFrame:
    """Hand-written extract rows (missing fields empty) as the reader gives them."""
    base = {
        "MaTinh": "93",
        "MaHuyen": "930",
        "MaXa": COMMUNE_A,
        "TenXa": "Phường I",
        "NhomTuoi": "18-24",
        "Nam": "40",
        "Nu": "60",
        "TongSo": "100",
        "NgayChotSoLieu": "31/03/2025",
    }
    frame = pl.DataFrame([{**base, **r} for r in rows], schema=dict.fromkeys(c.COLUMNS, pl.String))
    return frame.with_row_index("_row", offset=1).with_columns(
        pl.col("_row").cast(pl.Int64),
        pl.lit("f1").alias("_file_id"),
        pl.lit(file_date).alias("_file_date"),
    )


def stage(
    rows: list[dict], file_date: date = date(2025, 3, 31)
) -> tuple[pl.DataFrame, pl.DataFrame]:
    return stage_age_bands(raw_rows(rows, file_date), pl.Series([COMMUNE_A, COMMUNE_B]))


def test_simulator_is_deterministic_and_sized_like_the_province(tmp_path):
    a = simulate(tmp_path / "a", date(2025, 1, 1), date(2025, 6, 30), scale=0.02)
    simulate(tmp_path / "b", date(2025, 1, 1), date(2025, 6, 30), scale=0.02)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.csv"))
    assert [f.name for f in files] == ["danso_dotuoi_20250331.csv", "danso_dotuoi_20250630.csv"]
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    assert a["age_band"] == sum(read_age_bands(tmp_path / "a" / f).height for f in files)
    simulate(tmp_path / "full", date(2025, 6, 1), date(2025, 6, 30))
    staged, _ = stage_age_bands(
        read_age_bands(tmp_path / "full/population/dotuoi/danso_dotuoi_20250630.csv").with_columns(
            pl.lit("f").alias("_file_id"), pl.lit(date(2025, 6, 30)).alias("_file_date")
        ),
        pl.Series(commune_codes()),
    )
    people = staged["residents"].sum()
    adults = staged.filter("is_adult")["residents"].sum()
    assert 700_000 < people < 760_000 and 500_000 < adults < 540_000


def commune_codes() -> list[str]:
    from sources import geo

    return [cm.code for cm in geo.communes()]


def test_quarter_of_a_file_and_reader_keeps_vietnamese_text(tmp_path):
    assert quarter_of("danso_dotuoi_20250630.csv") == (date(2025, 4, 1), date(2025, 6, 30))
    assert quarter_of("danso_dotuoi_20251231.csv") == (date(2025, 10, 1), date(2025, 12, 31))
    simulate(tmp_path, date(2025, 3, 1), date(2025, 3, 31), scale=0.01)
    df = read_age_bands(tmp_path / "population/dotuoi/danso_dotuoi_20250331.csv")
    assert "Chưa xác định" in df["NhomTuoi"].to_list() and df.columns[0] == "_row"


def test_good_rows_are_typed():
    staged, quarantine = stage([{}, {"NhomTuoi": "0-4", "Nam": "5", "Nu": "5", "TongSo": "10"}])
    assert quarantine.height == 0
    assert staged.select("age_band", "is_adult", "residents", "snapshot_date").rows() == [
        ("18-24", True, 100, date(2025, 3, 31)),
        ("0-4", False, 10, date(2025, 3, 31)),
    ]


@pytest.mark.parametrize(
    ("override", "rule", "reason_part"),
    [
        ({"MaXa": ""}, "missing_field", "MaXa"),
        ({"NhomTuoi": "Chưa xác định"}, "code_outside_list", "NhomTuoi=Chưa xác định"),
        ({"TongSo": "-3", "Nam": "-1", "Nu": "-2"}, "invalid_count", "whole number"),
        ({"Nu": "sáu mươi"}, "invalid_count", "Nu=sáu mươi"),
        ({"TongSo": "250000", "Nam": "125000", "Nu": "125000"}, "absurd_count", "more than"),
        ({"TongSo": "101"}, "inconsistent_total", "is not TongSo=101"),
        ({"NgayChotSoLieu": "31/13/2025"}, "invalid_date", "NgayChotSoLieu"),
        ({"NgayChotSoLieu": "30/06/2025"}, "date_out_of_range", "after the extract date"),
        ({"MaXa": "31117"}, "unknown_unit", "31117"),
        ({"MaXa": "930"}, "unknown_unit", "930"),  # a district is not a commune
    ],
)
def test_bad_rows_go_to_quarantine_with_rule_and_reason(override, rule, reason_part):
    staged, quarantine = stage([{}, override])
    assert staged.height == 1 and quarantine.height == 1
    q = quarantine.row(0, named=True)
    assert (q["rule"], q["_row"]) == (rule, 2)
    assert reason_part in q["reason"]


def test_empty_extract_stages_to_empty_tables():
    staged, quarantine = stage_age_bands(raw_rows([]).clear(), pl.Series([COMMUNE_A]))
    assert staged.height == 0 and quarantine.height == 0 and "snapshot_date" in staged.columns


def test_adults_per_extract_and_the_days_each_extract_stands_for(geo_db):
    con = geo_db
    march, _ = stage([{}, {"NhomTuoi": "60+"}, {"NhomTuoi": "0-4"}])
    june, _ = stage(
        [
            {
                "NhomTuoi": "18-24",
                "Nam": "50",
                "Nu": "60",
                "TongSo": "110",
                "NgayChotSoLieu": "30/06/2025",
            },
            {"NhomTuoi": "60+", "NgayChotSoLieu": "30/06/2025"},
        ],
        file_date=date(2025, 6, 30),
    )
    resent, _ = stage(
        [
            {
                "NhomTuoi": "60+",
                "Nam": "45",
                "Nu": "60",
                "TongSo": "105",
                "NgayChotSoLieu": "30/06/2025",
            }
        ],
        file_date=date(2025, 7, 2),
    )  # correction
    con.register(
        "_b", pl.concat([march, june, resent.with_columns(pl.lit("f2").alias("_file_id"))])
    )
    con.execute("create table stg.population_age_band as select * from _b")
    build_model(con, "core.fct_population")
    rows = con.execute(
        "select snapshot_date, residents, adults, minors, valid_from, valid_to "
        "from core.fct_population order by snapshot_date"
    ).fetchall()
    assert rows == [
        (date(2025, 3, 31), 300, 200, 100, date(2000, 1, 1), date(2025, 6, 29)),
        (date(2025, 6, 30), 215, 215, 0, date(2025, 6, 30), None),
    ]


def run_e2e(
    tmp_path,
    names: list[str],
    start: date,
    end: date,
    scale: float,
    tables: list[str],
    indicators: list[str],
):
    """Simulate, extract, stage, build the given core tables and compute the given indicators."""
    from sources.extract import extract
    from transforms.core import models
    from transforms.marts.indicators import compute_indicators, load_catalogue
    from transforms.staging.run import load_reference, stage_source
    from warehouse import build as wh

    landing = tmp_path / "landing"
    for name in names:
        simulate_source(name, landing, start, end, scale=scale, seed=11)
    b = wh.prepare_build(tmp_path / "pub.duckdb", tmp_path / "build.duckdb")
    con = wh.connect(b)
    load_reference(con)
    for name in names:
        extract(con, SOURCES[name], str(landing), tmp_path / "raw", "r1")
        stage_source(con, *staging(name), b"k", "r1")
    sql = models(MODEL_FOLDERS)
    for table in ["core.dim_unit", "core.dim_agency", "core.dim_period", *tables]:
        con.execute(f"create or replace table {table} as {sql[table]}")
    compute_indicators(
        con, [i for i in load_catalogue(CATALOGUE_FILES) if i.id in indicators], "r1"
    )
    return con, landing


def assert_rows_balance(con, source: str) -> None:
    files = con.execute(
        "select name, status, rows_read, rows_loaded, rows_quarantined, rows_duplicate from meta.manifest "
        "where source = ?",
        [source],
    ).fetchall()
    assert files
    for name, status, read, loaded, quarantined, duplicate in files:
        assert status == "loaded", name
        assert read == loaded + quarantined + duplicate, name


def test_end_to_end_extract_stage_core_without_prefect(tmp_path):
    con, _ = run_e2e(
        tmp_path,
        ["population"],
        date(2025, 1, 1),
        date(2025, 6, 30),
        0.02,
        ["core.fct_population"],
        ["T11"],
    )
    assert_rows_balance(con, "population")
    rules = dict(con.execute("select rule, count(*) from audit.quarantine group by 1").fetchall())
    assert rules == {"code_outside_list": 6, "unknown_unit": 2}
    duplicates = con.execute("select sum(rows_duplicate) from meta.manifest").fetchone()[0]
    assert duplicates == 2  # one line sent twice per extract
    extracts = con.execute(
        "select distinct snapshot_date from stg.population_age_band order by 1"
    ).fetchall()
    assert len(extracts) == 2
    for (day,) in extracts:  # at each cut-off day, every commune once, with every band
        n, units, bands = con.execute(
            "select count(*), count(distinct unit_code), min(n_bands) from core.fct_population "
            "where ? between valid_from and coalesce(valid_to, date '9999-12-31')",
            [day],
        ).fetchone()
        assert (n, units, bands) == (75, 75, 9), day
    # a commune counted the same in both extracts is one row (valid from the first)
    assert con.execute("select count(*) from core.fct_population").fetchone()[0] < 150
    # T11 needs the certificates too: without them it says so
    status = con.execute(
        "select distinct status from mart.indicator_value where indicator_id = 'T11'"
    ).fetchall()
    assert status == [("source_missing",)]


def test_core_builds_before_the_first_delivery(tmp_path):
    assert_core_builds_before_the_first_delivery(tmp_path, ["population"], ["core.fct_population"])
