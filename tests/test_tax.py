"""Source tax: simulator, staging rules, T10 arithmetic over snapshots, and one end-to-end load."""

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

from sources.tax import constants as c
from sources.tax.connector import read_stores
from sources.tax.simulator import simulate
from transforms.marts.indicators import compute_indicators, load_catalogue
from transforms.pii import keyed_hash
from transforms.staging.stg_tax import stage_stores

KEY = b"test-key"
UNITS = pl.Series(["93", "930", "31318", "31321", "31471"])
COMMUNE_A, COMMUNE_B, COMMUNE_C = "31318", "31321", "31471"  # A, B in district 930; C in 937


def test_simulator_is_deterministic_and_usable_at_small_scale(tmp_path):
    start, end = dt.date(2025, 1, 1), dt.date(2025, 3, 31)
    first = simulate(tmp_path / "a", start, end, scale=0.02, seed=7)
    simulate(tmp_path / "b", start, end, scale=0.02, seed=7)
    simulate(tmp_path / "c", start, end, scale=0.02, seed=8)
    assert files(tmp_path / "a") == files(tmp_path / "b")
    assert files(tmp_path / "a") != files(tmp_path / "c")
    assert first["files"] == 3 and first["store"] > 100
    # the same month simulated on its own is the same file: the store pool does not depend on the range
    simulate(tmp_path / "d", dt.date(2025, 2, 1), dt.date(2025, 2, 28), scale=0.02, seed=7)
    name = "tax/cuahang/2025/dscuahang_banle_20250228.csv"
    assert files(tmp_path / "d")[name] == files(tmp_path / "a")[name]
    df = read_stores(tmp_path / "a" / name)
    assert df["NgayChotSoLieu"].unique().to_list() == ["28/02/2025"]


def test_header_only_file_gives_every_column(tmp_path):
    p = tmp_path / "dscuahang_banle_20250131.csv"
    p.write_text(";".join(c.STORE_COLUMNS) + "\n", encoding="utf-8")
    df = read_stores(p)
    assert df.height == 0 and set(df.columns) == {*c.STORE_COLUMNS, "_row"}


def row(**over) -> dict:
    r = {
        "NgayChotSoLieu": "31/01/2025",
        "MaCuaHang": "CH00000001",
        "MaSoThue": "093085001234",
        "TenNguoiNopThue": "Trần Thị Mai",
        "TenCuaHang": "Tạp hóa Mai",
        "DiaChiKinhDoanh": "Số 5, Ấp 2",
        "SoDienThoai": "0912345678",
        "LoaiNguoiNopThue": "Hộ kinh doanh",
        "MaXa": COMMUNE_A,
        "MaNganhNghe": "4711",
        "TrangThaiMST": "00",
        "NgayBatDauKinhDoanh": "01/03/2019",
        "NgayDangKyHDDTMTT": "15/07/2024",
    }
    r.update(over)
    return r


def stage(rows: list[dict]) -> tuple[pl.DataFrame, pl.DataFrame]:
    raw = pl.DataFrame(rows, schema={col: pl.String for col in c.STORE_COLUMNS}).with_row_index(
        "_row", offset=1
    )
    raw = raw.with_columns(
        pl.col("_row").cast(pl.Int64),
        pl.lit("f1").alias("_file_id"),
        pl.lit(dt.date(2025, 1, 31)).alias("_file_date"),
    )
    return stage_stores(raw, KEY, UNITS)


PERSONAL = ("093085001234", "Trần Thị Mai", "Tạp hóa Mai", "Số 5, Ấp 2", "0912345678")


def test_good_row_is_typed_hashed_and_stripped_of_personal_fields():
    staged, quarantine = stage(
        [
            row(),
            row(
                MaCuaHang="CH00000002",
                NgayDangKyHDDTMTT="",
                MaNganhNghe="4730",
                TrangThaiMST="05",
                MaSoThue="6300123456-001",
            ),
        ]
    )
    assert quarantine.height == 0
    first, second = staged.to_dicts()
    assert first["taxpayer_hash"] == keyed_hash("093085001234", KEY)
    assert (
        first["snapshot_date"] == dt.date(2025, 1, 31)
        and first["is_consumer_goods"]
        and first["is_active"]
    )
    assert first["cash_register_einvoice_since"] == dt.date(2024, 7, 15)
    assert first["taxpayer_type"] == "household_business"
    assert second["cash_register_einvoice_since"] is None and not second["is_consumer_goods"]
    assert second["status"] == "suspended" and not second["is_active"]
    text = staged.write_csv()
    for personal in PERSONAL:
        assert personal not in text


@pytest.mark.parametrize(
    ("override", "rule", "reason_part"),
    [
        ({"MaCuaHang": ""}, "missing_field", "MaCuaHang"),
        ({"NgayChotSoLieu": ""}, "missing_field", "NgayChotSoLieu"),
        ({"NgayBatDauKinhDoanh": "31/02/2024"}, "invalid_date", "NgayBatDauKinhDoanh=31/02/2024"),
        ({"NgayChotSoLieu": "28/02/2025"}, "date_out_of_range", "after the extract date"),
        ({"NgayDangKyHDDTMTT": "14/02/2025"}, "date_out_of_range", "after the snapshot date"),
        ({"NgayBatDauKinhDoanh": "01/01/1990"}, "date_out_of_range", "before 2000"),
        ({"MaSoThue": "09308500AB"}, "invalid_tax_code", "withheld"),
        ({"LoaiNguoiNopThue": "Hợp tác xã"}, "code_outside_list", "taxpayer type"),
        ({"MaNganhNghe": "9999"}, "code_outside_list", "MaNganhNghe=9999"),
        ({"TrangThaiMST": "99"}, "code_outside_list", "TrangThaiMST=99"),
        ({"MaXa": "31999"}, "unknown_unit", "MaXa=31999"),
    ],
)
def test_bad_rows_go_to_quarantine_with_rule_and_reason(override, rule, reason_part):
    staged, quarantine = stage([row(MaCuaHang="CH00000009"), row(**override)])
    assert staged.height == 1 and quarantine.height == 1
    q = quarantine.row(0, named=True)
    assert (q["rule"], q["_row"]) == (rule, 2)
    assert reason_part in q["reason"]
    for personal in PERSONAL:
        assert personal not in q["record"] and personal not in q["reason"]


def test_empty_frame_stages_to_the_same_columns():
    staged, quarantine = stage([])
    full, _ = stage([row()])
    assert staged.height == 0 and quarantine.height == 0 and staged.schema == full.schema


STORE_COLUMNS = (
    "snapshot_date date, store_id varchar, taxpayer_hash varchar, taxpayer_type varchar, unit_code varchar, "
    "business_line varchar, is_consumer_goods boolean, status_code varchar, status varchar, is_active boolean, "
    "started_on date, cash_register_einvoice_since date, _file_id varchar, _row bigint, _file_date date"
)


def register(con, rows: list[tuple]) -> None:
    """stg.tax_retail_store rows: (snapshot, store, unit, line, status_code, e-invoice since)."""
    con.execute(f"create or replace table stg.tax_retail_store ({STORE_COLUMNS})")
    for i, (snap, store, unit, line, status, since) in enumerate(rows):
        con.execute(
            "insert into stg.tax_retail_store values (?, ?, 'h', 'household_business', ?, ?, ?, ?, ?, ?, "
            "date '2020-01-01', ?, 'f', ?, ?)",
            [
                snap,
                store,
                unit,
                line,
                line in c.CONSUMER_GOODS_LINES,
                status,
                c.STATUS[status],
                c.STATUS[status] == "active",
                since,
                i + 1,
                snap,
            ],
        )
    build_model(con, "core.fct_retail_store")


def value(con, level, code, period_type, end):
    return con.execute(
        """select numerator, denominator, value, met, status from mart.indicator_value
           where indicator_id = 'T10' and admin_level = ? and admin_code = ? and period_type = ?
             and period_end = ?""",
        [level, code, period_type, end],
    ).fetchone()


def test_t10_counts_stores_registered_by_period_end_in_the_snapshot_in_force(geo_db):
    con = geo_db
    make_periods(con, ["2025-01", "2025-02", "2025-03"])
    jan, feb = dt.date(2025, 1, 31), dt.date(2025, 2, 28)
    register(
        con,
        [
            (jan, "s1", COMMUNE_A, "4711", "00", "2024-07-15"),  # registered: numerator
            (jan, "s2", COMMUNE_A, "4772", "04", None),  # active, not yet: denominator only
            (jan, "s3", COMMUNE_A, "4730", "00", "2023-01-01"),  # fuel: outside
            (jan, "s4", COMMUNE_A, "4711", "05", "2024-01-01"),  # suspended: outside
            (jan, "s6", COMMUNE_C, "4711", "00", None),  # C: 0/1
            (feb, "s1", COMMUNE_A, "4711", "00", "2024-07-15"),
            (feb, "s2", COMMUNE_A, "4772", "04", "2025-02-10"),  # registered in February
            (feb, "s4", COMMUNE_A, "4711", "00", "2024-01-01"),  # resumed in February
            (feb, "s5", COMMUNE_B, "4722", "00", None),  # new store in B
            (feb, "s6", COMMUNE_C, "4711", "01", None),  # closed: outside
        ],
    )
    compute_indicators(con, [i for i in load_catalogue(CATALOGUE_FILES) if i.id == "T10"], "run-1")
    assert value(con, "commune", COMMUNE_A, "month", dt.date(2025, 1, 31))[:2] == (1, 2)
    assert value(con, "commune", COMMUNE_C, "month", dt.date(2025, 1, 31))[:3] == (0, 1, 0.0)
    assert value(con, "commune", COMMUNE_A, "month", dt.date(2025, 2, 28))[:3] == (3, 3, 100.0)
    assert value(con, "district", "930", "month", dt.date(2025, 2, 28))[:2] == (3, 4)
    assert value(con, "province", "93", "month", dt.date(2025, 1, 31))[:2] == (1, 3)
    assert value(con, "province", "93", "ytd", dt.date(2025, 2, 28))[:4] == (3, 4, 75.0, False)
    assert value(con, "district", "930", "month", dt.date(2025, 1, 31))[3] is False
    # no snapshot for March: no value rather than February's carried on
    assert value(con, "province", "93", "month", dt.date(2025, 3, 31))[4] == "no_data"
    assert value(con, "province", "93", "quarter", dt.date(2025, 3, 31))[4] == "no_data"


def test_t10_meets_at_exactly_80_percent(geo_db):
    con = geo_db
    make_periods(con, ["2025-01"])
    jan = dt.date(2025, 1, 31)
    register(
        con,
        [
            (jan, f"s{i}", COMMUNE_B, "4711", "00", "2025-01-01" if i < 4 else None)
            for i in range(5)
        ],
    )
    compute_indicators(con, [i for i in load_catalogue(CATALOGUE_FILES) if i.id == "T10"], "run-1")
    assert value(con, "commune", COMMUNE_B, "month", jan)[2:4] == (80.0, True)


def test_end_to_end_small_run(tmp_path):
    from transforms.core import models

    landing = tmp_path / "landing"
    simulate(landing, dt.date(2025, 1, 1), dt.date(2025, 3, 31), scale=0.05, seed=3)
    con, summary = stage_landing(tmp_path, "tax", landing)
    assert summary.files == 3 and summary.files_failed == 0 and summary.rows_loaded > 300
    sql = models(MODEL_FOLDERS)
    for table in ("core.dim_unit", "core.dim_period", "core.fct_retail_store"):
        con.execute(f"create or replace table {table} as {sql[table]}")
    compute_indicators(con, [i for i in load_catalogue(CATALOGUE_FILES) if i.source == "tax"], "r1")

    balance = con.execute(
        "select rows_read, rows_loaded, rows_quarantined, rows_duplicate from meta.manifest where source = 'tax'"
    ).fetchall()
    assert len(balance) == 3 and all(r == lo + q + d for r, lo, q, d in balance)
    rows = con.execute(
        "select period_label, status, numerator, denominator from mart.indicator_value "
        "where indicator_id = 'T10' and admin_level = 'province' and period_type = 'month' order by 1"
    ).fetchall()
    assert [r[0] for r in rows] == ["2025-01", "2025-02", "2025-03"]
    assert all(r[1] == "ok" and 0 < r[2] < r[3] for r in rows)

    secrets: set[str] = set()
    for f in landing.rglob("*.csv"):
        raw = read_stores(f)
        for col in ("MaSoThue", "TenNguoiNopThue", "TenCuaHang", "DiaChiKinhDoanh", "SoDienThoai"):
            secrets |= set(raw[col].drop_nulls().head(30))
    assert_not_stored(con, secrets)
    con.close()


def test_core_builds_before_the_first_delivery(tmp_path):
    assert_core_builds_before_the_first_delivery(tmp_path, ["tax"], ["core.fct_retail_store"])
