"""Source enterprise: simulator, staging rules, T08/T09 arithmetic, and one end-to-end load."""

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

from sources.enterprise import constants as c
from sources.enterprise.connector import read_survey
from sources.enterprise.simulator import simulate
from transforms.marts.indicators import compute_indicators, load_catalogue
from transforms.pii import keyed_hash
from transforms.staging.stg_enterprise import stage_survey

KEY = b"test-key"
UNITS = pl.Series(["93", "930", "31318", "31321", "31471"])
COMMUNE_A, COMMUNE_B, COMMUNE_C = "31318", "31321", "31471"  # A, B in district 930; C in 937


def test_simulator_is_deterministic_and_usable_at_small_scale(tmp_path):
    start, end = dt.date(2024, 1, 1), dt.date(2025, 12, 31)
    first = simulate(tmp_path / "a", start, end, scale=0.02, seed=7)
    simulate(tmp_path / "b", start, end, scale=0.02, seed=7)
    simulate(tmp_path / "c", start, end, scale=0.02, seed=8)
    assert files(tmp_path / "a") == files(tmp_path / "b")
    assert files(tmp_path / "a") != files(tmp_path / "c")
    assert first["files"] == 2 and first["survey"] > 100  # the surveys of 2024 and 2025
    # a range without a delivery day (15 December) delivers nothing
    assert (
        simulate(tmp_path / "d", dt.date(2025, 1, 1), dt.date(2025, 11, 30), scale=0.02)["files"]
        == 0
    )
    df = read_survey(next((tmp_path / "a").rglob("khaosat_cds_2025_20251215.csv")))
    assert set(df["QuyMo"].unique()) <= set(c.SIZE_CLASS) | {"Trung bình"}


def test_header_only_file_gives_every_column(tmp_path):
    p = tmp_path / "khaosat_cds_2025_20251215.csv"
    p.write_text(",".join(c.SURVEY_COLUMNS) + "\n", encoding="utf-8-sig")
    df = read_survey(p)
    assert df.height == 0 and set(df.columns) == {*c.SURVEY_COLUMNS, "_row"}


def row(**over) -> dict:
    r = {
        "NamKhaoSat": "2025",
        "MaSoThue": "6300123456",
        "TenDoanhNghiep": "Công ty TNHH Phát Đạt",
        "NguoiDaiDienPhapLuat": "Nguyễn Văn An",
        "SoDienThoai": "0912345678",
        "MaXa": COMMUNE_A,
        "QuyMo": "Nhỏ",
        "MaNganhKinhTe": "G",
        "TinhTrangHoatDong": "Đang hoạt động",
        "SoLaoDong": "12",
        "SuDungHopDongDienTu": "Có",
        "NenTangSoSuDung": "Hóa đơn điện tử; Kế toán; Khác: Zalo OA",
    }
    r.update(over)
    return r


def stage(rows: list[dict]) -> tuple[pl.DataFrame, pl.DataFrame]:
    raw = pl.DataFrame(rows, schema={col: pl.String for col in c.SURVEY_COLUMNS}).with_row_index(
        "_row", offset=1
    )
    raw = raw.with_columns(
        pl.col("_row").cast(pl.Int64),
        pl.lit("f1").alias("_file_id"),
        pl.lit(dt.date(2025, 12, 15)).alias("_file_date"),
    )
    return stage_survey(raw, KEY, UNITS)


def test_good_row_is_decoded_hashed_and_stripped_of_names():
    staged, quarantine = stage(
        [
            row(),
            row(
                MaSoThue="6300123457",
                NenTangSoSuDung="Không sử dụng",
                SuDungHopDongDienTu="",
                QuyMo="siêu nhỏ",
            ),
            row(MaSoThue="6300123458", SuDungHopDongDienTu="không"),
        ]
    )
    assert quarantine.height == 0
    first, second, third = staged.to_dicts()
    assert third["uses_e_contract"] is False
    assert first["tax_code_hash"] == keyed_hash("6300123456", KEY)
    assert (
        first["size_class"] == "small"
        and first["status"] == "active"
        and first["uses_e_contract"] is True
    )
    assert first["platforms"] == ["e_invoice", "accounting", "other"] and first["n_platforms"] == 3
    assert (
        second["size_class"] == "micro"
        and second["uses_e_contract"] is None
        and second["n_platforms"] == 0
    )
    text = staged.drop("platforms").write_csv()
    for personal in ("6300123456", "Phát Đạt", "Nguyễn Văn An", "0912345678"):
        assert personal not in text


@pytest.mark.parametrize(
    ("override", "rule", "reason_part"),
    [
        ({"MaSoThue": ""}, "missing_field", "MaSoThue"),
        ({"MaXa": ""}, "missing_field", "MaXa"),
        ({"NamKhaoSat": "2O25"}, "invalid_year", "2O25"),
        ({"NamKhaoSat": "2031"}, "invalid_year", "2031"),
        ({"MaSoThue": "63001234"}, "invalid_tax_code", "withheld"),
        ({"QuyMo": "Trung bình"}, "code_outside_list", "QuyMo=Trung bình"),
        ({"MaNganhKinhTe": "Z"}, "code_outside_list", "MaNganhKinhTe=Z"),
        ({"TinhTrangHoatDong": "Hoạt động"}, "code_outside_list", "TinhTrangHoatDong"),
        ({"SuDungHopDongDienTu": "Có lẽ"}, "code_outside_list", "SuDungHopDongDienTu"),
        ({"NenTangSoSuDung": "Zalo OA; Kế toán"}, "code_outside_list", "zalo oa"),
        ({"SoLaoDong": "-5"}, "invalid_count", "SoLaoDong=-5"),
        ({"SoLaoDong": "250000"}, "invalid_count", "250000"),
        ({"MaXa": "99999"}, "unknown_unit", "MaXa=99999"),
    ],
)
def test_bad_rows_go_to_quarantine_with_rule_and_reason(override, rule, reason_part):
    staged, quarantine = stage([row(MaSoThue="6300999999"), row(**override)])
    assert staged.height == 1 and quarantine.height == 1
    q = quarantine.row(0, named=True)
    assert (q["rule"], q["_row"]) == (rule, 2)
    assert reason_part in q["reason"]
    for personal in ("6300123456", "Phát Đạt", "Nguyễn Văn An", "0912345678"):
        assert personal not in q["record"] and personal not in q["reason"]


def test_empty_frame_stages_to_the_same_columns():
    staged, quarantine = stage([])
    full, _ = stage([row()])
    assert staged.height == 0 and quarantine.height == 0
    assert staged.schema == full.schema


SURVEY_COLUMNS = (
    "survey_year integer, tax_code_hash varchar, unit_code varchar, size_class varchar, sector_section varchar, "
    "status varchar, employees integer, uses_e_contract boolean, platforms varchar[], n_platforms integer, "
    "_file_id varchar, _row bigint, _file_date date"
)


def survey(con, rows: list[tuple]) -> None:
    """stg.enterprise_survey rows: (tax, unit, size, section, status, e_contract, platforms[, _row])."""
    con.execute(f"create or replace table stg.enterprise_survey ({SURVEY_COLUMNS})")
    for i, r in enumerate(rows):
        tax, unit, size, section, status, contract, platforms = r[:7]
        con.execute(
            "insert into stg.enterprise_survey values (2024, ?, ?, ?, ?, ?, 5, ?, ?, ?, 'f1', ?, date '2024-12-15')",
            [
                tax,
                unit,
                size,
                section,
                status,
                contract,
                platforms,
                len(platforms),
                r[7] if len(r) > 7 else i + 1,
            ],
        )
    build_model(con, "core.fct_enterprise_survey")


def value(con, ind, level, code):
    return con.execute(
        """select numerator, denominator, value, met from mart.indicator_value
           where indicator_id = ? and admin_level = ? and admin_code = ? and period_type = 'year'
             and period_start = date '2024-01-01'""",
        [ind, level, code],
    ).fetchone()


def catalogue(*ids):
    return [i for i in load_catalogue(CATALOGUE_FILES) if i.id in ids]


def test_t08_counts_active_commerce_enterprises_using_e_contracts(geo_db):
    con = geo_db
    make_periods(con, ["2024-11", "2024-12"])  # the 2024 survey: the 2024 units and districts
    survey(
        con,
        [
            ("a1", COMMUNE_A, "small", "G", "active", True, []),  # numerator
            ("a2", COMMUNE_A, "micro", "G", "active", True, []),  # numerator
            (
                "a3",
                COMMUNE_A,
                "large",
                "G",
                "active",
                False,
                [],
            ),  # denominator only (large counts in T08)
            ("a4", COMMUNE_A, "micro", "G", "active", None, []),  # unanswered: denominator only
            ("a5", COMMUNE_A, "micro", "G", "dissolved", True, []),  # not active: outside
            ("a6", COMMUNE_A, "micro", "C", "active", True, []),  # manufacturing: outside
            (
                "b1",
                COMMUNE_B,
                "small",
                "G",
                "active",
                False,
                [],
                1,
            ),  # sent twice: the latest answer counts
            ("b1", COMMUNE_B, "small", "G", "active", True, [], 2),
            *[
                (f"c{i}", COMMUNE_C, "small", "G", "active", i < 4, []) for i in range(5)
            ],  # 4/5 = 80%
        ],
    )
    compute_indicators(con, catalogue("T08"), "run-1")
    assert value(con, "T08", "commune", COMMUNE_A)[:2] == (2, 4)
    assert value(con, "T08", "commune", COMMUNE_B)[:3] == (1, 1, 100.0)
    assert value(con, "T08", "district", "930")[:2] == (3, 5)
    assert value(con, "T08", "province", "93")[:2] == (7, 10)
    # "> 80%": exactly 80% is not met
    assert value(con, "T08", "commune", COMMUNE_C)[2:] == (80.0, False)
    assert value(con, "T08", "commune", COMMUNE_B)[3] is True


def test_t09_counts_active_smes_using_at_least_one_platform(geo_db):
    con = geo_db
    make_periods(con, ["2024-12"])
    survey(
        con,
        [
            ("a1", COMMUNE_A, "micro", "G", "active", None, ["e_invoice"]),  # numerator
            ("a2", COMMUNE_A, "small", "C", "active", None, ["accounting", "crm"]),  # numerator
            ("a3", COMMUNE_A, "medium", "F", "active", None, []),  # denominator only
            ("a4", COMMUNE_A, "large", "G", "active", None, ["erp"]),  # large: outside
            (
                "a5",
                COMMUNE_A,
                "micro",
                "G",
                "suspended",
                None,
                ["e_invoice"],
            ),  # not active: outside
            ("b1", COMMUNE_B, "micro", "G", "active", None, []),  # B: 0/2 = 0%
            ("b2", COMMUNE_B, "micro", "I", "active", None, []),
            ("c1", COMMUNE_C, "small", "G", "active", None, ["other"]),  # C: 1/2 = 50%
            ("c2", COMMUNE_C, "small", "G", "active", None, []),
        ],
    )
    compute_indicators(con, catalogue("T09"), "run-1")
    assert value(con, "T09", "commune", COMMUNE_A)[:2] == (2, 3)
    assert value(con, "T09", "commune", COMMUNE_B)[:3] == (0, 2, 0.0)
    assert value(con, "T09", "district", "930")[:2] == (2, 5)
    assert value(con, "T09", "province", "93")[:2] == (3, 7)
    assert value(con, "T09", "commune", COMMUNE_C)[2:] == (50.0, False)  # "> 50%" not met at 50%
    assert value(con, "T09", "commune", COMMUNE_A)[3] is True


def test_end_to_end_small_run(tmp_path):
    from transforms.core import models

    landing = tmp_path / "landing"
    simulate(landing, dt.date(2025, 12, 1), dt.date(2025, 12, 31), scale=0.05, seed=3)
    con, summary = stage_landing(tmp_path, "enterprise", landing)
    assert summary.files == 1 and summary.files_failed == 0 and summary.rows_loaded > 100
    sql = models(MODEL_FOLDERS)
    for table in ("core.dim_unit", "core.dim_period", "core.fct_enterprise_survey"):
        con.execute(f"create or replace table {table} as {sql[table]}")
    compute_indicators(
        con, [i for i in load_catalogue(CATALOGUE_FILES) if i.source == "enterprise"], "r1"
    )

    balance = con.execute(
        "select rows_read, rows_loaded, rows_quarantined, rows_duplicate from meta.manifest where source = 'enterprise'"
    ).fetchall()
    assert balance and all(r == lo + q + d for r, lo, q, d in balance)
    rows = con.execute(
        "select indicator_id, status, numerator, denominator from mart.indicator_value "
        "where admin_level = 'province' and period_type = 'year'"
    ).fetchall()
    assert {r[0] for r in rows} == {"T08", "T09"} and all(
        r[1] == "ok" and 0 < r[2] < r[3] for r in rows
    )

    raw = read_survey(next(landing.rglob("*.csv")))
    secrets = (
        set(raw["MaSoThue"].drop_nulls().head(50))
        | set(raw["TenDoanhNghiep"].head(20))
        | set(raw["NguoiDaiDienPhapLuat"].head(20))
        | set(raw["SoDienThoai"].head(20))
    )
    assert_not_stored(con, secrets)
    con.close()


def test_core_builds_before_the_first_delivery(tmp_path):
    assert_core_builds_before_the_first_delivery(
        tmp_path, ["enterprise"], ["core.fct_enterprise_survey"]
    )
