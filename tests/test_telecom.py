"""Source telecom: simulator, staging rules, T12 arithmetic without double counting, one end-to-end load."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from conftest import (
    CATALOGUE_FILES,
    MODEL_FOLDERS,
    assert_core_builds_before_the_first_delivery,
    assert_not_stored,
    build_model,
    files,
    make_periods,
    stage_landing,
)

from sources import geo
from sources.telecom import constants as c
from sources.telecom import period_of
from sources.telecom.connector import read_coverage, read_households
from sources.telecom.simulator import simulate
from transforms.marts.indicators import compute_indicators, load_catalogue
from transforms.pii import keyed_hash
from transforms.staging.stg_telecom import quarter_end, stage_coverage, stage_households

KEY = b"test-key"
UNITS = pl.Series(["93", "930", "31318", "31321", "31471"])
COMMUNE_A, COMMUNE_B, COMMUNE_C = "31318", "31321", "31471"  # A, B in district 930; C in 937
Q1, Q2 = dt.date(2025, 3, 31), dt.date(2025, 6, 30)


def test_simulator_is_deterministic_and_overlaps_operators(tmp_path):
    start, end = dt.date(2025, 1, 1), dt.date(2025, 6, 30)
    first = simulate(tmp_path / "a", start, end, scale=0.02, seed=7)
    simulate(tmp_path / "b", start, end, scale=0.02, seed=7)
    simulate(tmp_path / "c", start, end, scale=0.02, seed=8)
    assert files(tmp_path / "a") == files(tmp_path / "b")
    assert files(tmp_path / "a") != files(tmp_path / "c")
    assert first["files"] == 1 + 2 * len(c.OPERATOR_FORMATS) and first["household"] == 75
    reports = [read_coverage(p) for p in (tmp_path / "a").rglob("ftth_*_2025q2_*.csv")]
    codes = pl.concat(reports)["MaDiaChi"]
    assert codes.len() > codes.n_unique() > 0  # operators overlap
    households = read_households(next((tmp_path / "a").rglob("sohogiadinh_2025_*.csv")))
    total = households["SoHoGiaDinh"].cast(pl.Int64).sum()
    assert abs(total - 0.02 * geo.PROVINCE_HOUSEHOLDS) < 100
    assert codes.n_unique() < total  # coverage below 100 %


def test_period_of_reads_quarters_and_years():
    assert period_of("ftth_vnpt_2025q2_20250630.csv") == (dt.date(2025, 4, 1), Q2)
    assert period_of("ftth_fpt_2025q4_20251231.csv") == (
        dt.date(2025, 10, 1),
        dt.date(2025, 12, 31),
    )
    assert period_of("sohogiadinh_2025_20250115.csv") == (
        dt.date(2025, 1, 1),
        dt.date(2025, 12, 31),
    )


def test_every_operator_quarter_style_is_read():
    df = pl.DataFrame(
        {
            "q": [
                "Quý I/2025",
                "quý iv/2025",
                "2025-Q2",
                "2025Q3",
                "Q1/2025",
                "Q3-2025",
                "2025",
                "Q5/2025",
            ]
        }
    )
    got = df.select(quarter_end("q").alias("end"))["end"].to_list()
    assert got == [
        Q1,
        dt.date(2025, 12, 31),
        Q2,
        dt.date(2025, 9, 30),
        Q1,
        dt.date(2025, 9, 30),
        None,
        None,
    ]


def test_header_only_files_give_every_column(tmp_path):
    p = tmp_path / "ftth_vnpt_2025q1_20250331.csv"
    p.write_text(",".join(c.COVERAGE_COLUMNS) + "\n", encoding="utf-8-sig")
    assert set(read_coverage(p).columns) == {*c.COVERAGE_COLUMNS, "_row"}
    p = tmp_path / "sohogiadinh_2025_20250115.csv"
    p.write_text("\t".join(c.HOUSEHOLD_COLUMNS) + "\n", encoding="utf-8")
    assert set(read_households(p).columns) == {*c.HOUSEHOLD_COLUMNS, "_row"}


def row(**over) -> dict:
    r = {
        "KyBaoCao": "Quý I/2025",
        "MaNhaMang": "VNPT",
        "MaXa": COMMUNE_A,
        "MaDiaChi": "9331318000001",
        "DiaChi": "Số 2, Ấp 1, Phường I",
        "CongNghe": "GPON",
        "NgaySanSang": "24/03/2020",
    }
    r.update(over)
    return r


def raw_frame(rows: list[dict], columns: list[str], day: dt.date) -> pl.DataFrame:
    raw = pl.DataFrame(rows, schema={col: pl.String for col in columns}).with_row_index(
        "_row", offset=1
    )
    return raw.with_columns(
        pl.col("_row").cast(pl.Int64),
        pl.lit("f1").alias("_file_id"),
        pl.lit(day).alias("_file_date"),
    )


def stage(rows: list[dict]) -> tuple[pl.DataFrame, pl.DataFrame]:
    return stage_coverage(raw_frame(rows, c.COVERAGE_COLUMNS, Q1), KEY, UNITS)


def test_good_rows_are_decoded_and_the_address_hashed():
    staged, quarantine = stage(
        [
            row(),
            row(
                KyBaoCao="2025-Q1",
                MaNhaMang="Viettel",
                NgaySanSang="2024-11-30",
                CongNghe="xgs-pon",
            ),
            row(
                KyBaoCao="Q1/2025",
                MaNhaMang="FPT Telecom",
                NgaySanSang="20240101",
                MaDiaChi="9331318000002",
            ),
        ]
    )
    assert quarantine.height == 0
    assert staged["as_of"].to_list() == [Q1] * 3
    assert staged["operator"].to_list() == ["VNPT", "VIETTEL", "FPT"]
    assert staged["ready_on"].to_list() == [
        dt.date(2020, 3, 24),
        dt.date(2024, 11, 30),
        dt.date(2024, 1, 1),
    ]
    assert staged["technology"][1] == "XGS-PON"
    assert (
        staged["address_hash"][0] == staged["address_hash"][1] == keyed_hash("9331318000001", KEY)
    )
    text = staged.write_csv()
    assert "9331318000001" not in text and "Ấp 1" not in text


@pytest.mark.parametrize(
    ("override", "rule", "reason_part"),
    [
        ({"MaDiaChi": ""}, "missing_field", "MaDiaChi"),
        ({"KyBaoCao": "Q5/2025"}, "invalid_period", "Q5/2025"),
        ({"KyBaoCao": "2025-Q2"}, "date_out_of_range", "after the extract date"),
        ({"MaNhaMang": "SCTV"}, "code_outside_list", "MaNhaMang=SCTV"),
        ({"CongNghe": "ADSL"}, "code_outside_list", "CongNghe=ADSL"),
        ({"MaDiaChi": "93-313/18"}, "invalid_address_code", "withheld"),
        ({"NgaySanSang": "31/02/2025"}, "invalid_date", "NgaySanSang=31/02/2025"),
        ({"NgaySanSang": "10/05/2025"}, "date_out_of_range", "after the end of the report quarter"),
        ({"MaXa": "31999"}, "unknown_unit", "MaXa=31999"),
    ],
)
def test_bad_rows_go_to_quarantine_with_rule_and_reason(override, rule, reason_part):
    staged, quarantine = stage([row(MaDiaChi="9331318000009"), row(**override)])
    assert staged.height == 1 and quarantine.height == 1
    q = quarantine.row(0, named=True)
    assert (q["rule"], q["_row"]) == (rule, 2)
    assert reason_part in q["reason"]
    assert "9331318000001" not in q["record"] and "Ấp 1" not in q["record"]


@pytest.mark.parametrize(
    ("override", "rule"),
    [
        ({"SoHoGiaDinh": "-3"}, "invalid_count"),
        ({"SoHoGiaDinh": "abc"}, "invalid_count"),
        ({"SoHoGiaDinh": "900000"}, "invalid_count"),
        ({"MaXa": "930"}, "not_a_commune"),
        ({"MaXa": "31999"}, "unknown_unit"),
        ({"NamSoLieu": "1999"}, "invalid_year"),
        ({"SoHoGiaDinh": ""}, "missing_field"),
    ],
)
def test_household_rules(override, rule):
    good = {
        "NamSoLieu": "2025",
        "MaXa": COMMUNE_A,
        "TenXa": "Phường I",
        "SoHoGiaDinh": "4.532",
        "NguonSoLieu": "Cục Thống kê",
    }
    staged, quarantine = stage_households(
        raw_frame([good, {**good, **override}], c.HOUSEHOLD_COLUMNS, dt.date(2025, 1, 15)), UNITS
    )
    assert staged["households"].to_list() == [4532]
    assert quarantine["rule"].to_list() == [rule]


def test_empty_frames_stage_to_the_same_columns():
    empty, _ = stage([])
    full, _ = stage([row()])
    assert empty.height == 0 and empty.schema == full.schema


COVERAGE_STG = (
    "as_of date, operator varchar, unit_code varchar, address_hash varchar, technology varchar, "
    "ready_on date, _file_id varchar, _row bigint, _file_date date"
)


def build(con, households: dict[str, int], listed: list[tuple]) -> None:
    """stg tables -> the three core tables. ``listed``: (quarter end, operator, commune, address)."""
    con.execute(
        "create or replace table stg.telecom_household (year integer, unit_code varchar, households bigint, "
        "count_source varchar, _file_id varchar, _row bigint, _file_date date)"
    )
    for unit, n in households.items():
        con.execute(
            "insert into stg.telecom_household values (2025, ?, ?, 'x', 'h', 1, date '2025-01-15')",
            [unit, n],
        )
    con.execute(f"create or replace table stg.telecom_fibre_address ({COVERAGE_STG})")
    for i, (as_of, op, unit, address) in enumerate(listed):
        con.execute(
            "insert into stg.telecom_fibre_address values (?, ?, ?, ?, 'GPON', date '2024-01-01', ?, ?, ?)",
            [as_of, op, unit, address, f"{op}{as_of}", i + 1, as_of],
        )
    for table in (
        "core.fct_commune_household",
        "core.fct_fibre_address",
        "core.fct_fibre_coverage",
    ):
        build_model(con, table)


def value(con, level, code, period_type, end):
    return con.execute(
        """select numerator, denominator, value, met, status from mart.indicator_value
           where indicator_id = 'T12' and admin_level = ? and admin_code = ? and period_type = ?
             and period_end = ?""",
        [level, code, period_type, end],
    ).fetchone()


def test_t12_counts_each_household_once_across_operators(geo_db):
    con = geo_db
    make_periods(con, ["2025-01", "2025-06"])
    build(
        con,
        {COMMUNE_A: 10, COMMUNE_B: 5, COMMUNE_C: 2},
        [
            (Q1, "VNPT", COMMUNE_A, "a1"),
            (Q1, "VIETTEL", COMMUNE_A, "a1"),  # two operators, one household
            (Q1, "VNPT", COMMUNE_A, "a2"),
            (Q1, "FPT", COMMUNE_B, "b1"),
            (Q1, "VNPT", COMMUNE_A, "x"),
            (Q1, "VIETTEL", COMMUNE_B, "x"),
            (Q1, "FPT", COMMUNE_B, "x"),  # B by 2 votes to 1
            (Q1, "VNPT", COMMUNE_C, "c1"),
            (Q1, "VIETTEL", COMMUNE_C, "c2"),  # C: 2/2
            # Q2: Viettel and FPT have not reported yet: their Q1 reports still count
            (Q2, "VNPT", COMMUNE_A, "a1"),
            (Q2, "VNPT", COMMUNE_A, "a2"),
            (Q2, "VNPT", COMMUNE_A, "a3"),
        ],
    )
    compute_indicators(con, [i for i in load_catalogue(CATALOGUE_FILES) if i.id == "T12"], "run-1")
    assert value(con, "commune", COMMUNE_A, "quarter", Q1)[:2] == (2, 10)
    assert value(con, "commune", COMMUNE_B, "quarter", Q1)[:2] == (2, 5)
    assert value(con, "district", "930", "quarter", Q1)[:2] == (4, 15)
    assert value(con, "province", "93", "quarter", Q1)[:3] == (6, 17, pytest.approx(600 / 17))
    assert value(con, "commune", COMMUNE_C, "quarter", Q1)[2:4] == (
        100.0,
        True,
    )  # 100% meets ">= 100"
    assert value(con, "commune", COMMUNE_A, "quarter", Q1)[3] is False
    # Q2: VNPT's new report (a1, a2, a3) + Viettel's and FPT's Q1 reports carried forward
    assert value(con, "commune", COMMUNE_A, "quarter", Q2)[:2] == (3, 10)
    assert value(con, "commune", COMMUNE_B, "quarter", Q2)[:2] == (2, 5)
    # C: VNPT's Q2 report no longer lists c1; Viettel's carried Q1 report still lists c2
    assert value(con, "commune", COMMUNE_C, "quarter", Q2)[:2] == (1, 2)
    # the year ends after the last report quarter: no value rather than Q2 carried to December
    assert value(con, "province", "93", "year", dt.date(2025, 12, 31))[4] == "no_data"


def test_more_fibre_households_than_households_is_flagged(geo_db):
    con = geo_db
    build(
        con,
        {COMMUNE_A: 1},
        [
            (Q1, "VNPT", COMMUNE_A, "a1"),
            (Q1, "VNPT", COMMUNE_A, "a2"),
            (Q1, "VNPT", COMMUNE_B, "b1"),
        ],
    )  # B has no household count
    flags = dict(
        con.execute(
            "select unit_code, fibre_exceeds_households from core.fct_fibre_coverage"
        ).fetchall()
    )
    assert flags == {COMMUNE_A: True, COMMUNE_B: True}
    assert con.execute(
        "select households_year from core.fct_fibre_coverage where unit_code = ?", [COMMUNE_B]
    ).fetchone() == (None,)


def test_end_to_end_small_run(tmp_path):
    from transforms.core import models

    landing = tmp_path / "landing"
    simulate(landing, dt.date(2025, 1, 1), dt.date(2025, 6, 30), scale=0.02, seed=3)
    con, summary = stage_landing(tmp_path, "telecom", landing)
    assert summary.files == 9 and summary.files_failed == 0
    sql = models(MODEL_FOLDERS)
    for table in (
        "core.dim_unit",
        "core.dim_period",
        "core.fct_commune_household",
        "core.fct_fibre_address",
        "core.fct_fibre_coverage",
    ):
        con.execute(f"create or replace table {table} as {sql[table]}")
    compute_indicators(
        con, [i for i in load_catalogue(CATALOGUE_FILES) if i.source == "telecom"], "r1"
    )

    balance = con.execute(
        "select rows_read, rows_loaded, rows_quarantined, rows_duplicate from meta.manifest where source = 'telecom'"
    ).fetchall()
    assert len(balance) == 9 and all(r == lo + q + d for r, lo, q, d in balance)
    rows = con.execute(
        "select period_label, status, numerator, denominator from mart.indicator_value "
        "where indicator_id = 'T12' and admin_level = 'province' and period_type = 'quarter' order by 1"
    ).fetchall()
    assert [r[0] for r in rows] == ["2025-Q1", "2025-Q2"]
    assert all(r[1] == "ok" and 0.5 * r[3] < r[2] < r[3] for r in rows)
    assert rows[0][2] <= rows[1][2]  # coverage grows
    assert not con.execute(
        "select count(*) from core.fct_fibre_coverage where fibre_exceeds_households"
    ).fetchone()[0]

    secrets: set[str] = set()
    for f in landing.rglob("ftth_*.csv"):
        raw = read_coverage(f)
        secrets |= set(raw["MaDiaChi"].drop_nulls().head(30)) | set(
            raw["DiaChi"].drop_nulls().head(30)
        )
    assert_not_stored(con, secrets)
    con.close()


def test_core_builds_before_the_first_delivery(tmp_path):
    assert_core_builds_before_the_first_delivery(
        tmp_path,
        ["telecom"],
        ["core.fct_commune_household", "core.fct_fibre_address", "core.fct_fibre_coverage"],
    )
