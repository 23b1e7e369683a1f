"""The statistics office's GRDP / digital-economy source: simulator, workbook reader, staging, T07."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import polars as pl
import pytest
from conftest import CATALOGUE_FILES, SOURCES, build_model, make_periods, simulate_source, staging
from openpyxl import Workbook

from sources.base import SourceFileError
from sources.stats import connector, period_of
from sources.stats import constants as c
from sources.stats.simulator import build_workbook, quarterly_release, save_deterministic, simulate
from transforms.marts.indicators import compute_indicators, load_catalogue
from transforms.staging.stg_stats import stage_grdp

PROVINCES = {"hậu giang": "93"}
KNOWN = pl.Series(["93", "930", "31318"])


def digests(root) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.xlsx"))
    }


# --- simulator -------------------------------------------------------------------


def test_simulator_is_deterministic_and_writes_the_releases_up_to_the_end(tmp_path):
    a, b, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert simulate(a, date(2023, 1, 1), date(2023, 7, 31), scale=0.02, seed=7) == {
        "quarterly": 6,
        "yearly": 1,
    }
    simulate(b, date(2023, 1, 1), date(2023, 7, 31), scale=0.02, seed=7)
    simulate(other, date(2023, 1, 1), date(2023, 7, 31), scale=0.02, seed=8)
    assert digests(a) == digests(b)
    assert digests(a) != digests(other)
    names = sorted(p.name for p in a.rglob("*.xlsx"))
    assert "GRDP_KTS_Q4_2022_20230106.xlsx" in names and "GRDP_KTS_NAM_2022_20230630.xlsx" in names
    assert "GRDP_KTS_Q3_2023_20231006.xlsx" not in names  # delivered after the end
    assert period_of("GRDP_KTS_Q3_2025_20251006.xlsx") == (date(2025, 7, 1), date(2025, 9, 30))
    assert period_of("GRDP_KTS_NAM_2024_20250630.xlsx") == (date(2024, 1, 1), date(2024, 12, 31))


def test_simulated_values_are_at_province_scale_and_miss_the_target(tmp_path):
    simulate(tmp_path, date(2025, 1, 1), date(2025, 12, 31), seed=190)
    raw = connector.read_grdp_table(tmp_path / "stats/nam/GRDP_KTS_NAM_2024_20250630.xlsx")
    year = {
        r["measure_code"]: float(r["value"])
        for r in raw.filter(pl.col("period") == "2024").iter_rows(named=True)
    }
    assert 50_000 < year["1"] < 70_000  # GRDP, billion VND
    assert 5 < 100 * year["2"] / year["1"] < 20  # digital share: rising, below the 20% target
    assert year["2.1"] + year["2.2"] == pytest.approx(year["2"], abs=0.2)


# --- workbook reader -----------------------------------------------------------------


def write(wb: Workbook, path):
    save_deterministic(wb, path, datetime(2025, 10, 6))
    return path


def test_reader_turns_the_merged_header_into_periods(tmp_path):
    path = write(
        build_workbook(190, quarterly_release(2025, 3)), tmp_path / "GRDP_KTS_Q3_2025_20251006.xlsx"
    )
    raw = connector.read_grdp_table(path)
    assert raw.columns == [*c.COLUMNS, "_row"]
    assert raw.height == 5 * 8  # five indicator rows x (2024 Q1-Q4 and year + 2025 Q1-Q3)
    assert sorted(raw["period"].unique()) == [
        "2024",
        "2024-Q1",
        "2024-Q2",
        "2024-Q3",
        "2024-Q4",
        "2025-Q1",
        "2025-Q2",
        "2025-Q3",
    ]
    first = raw.row(0, named=True)
    assert (first["cell"], first["area"], first["release"], first["unit"]) == (
        "D6",
        "Tỉnh Hậu Giang",
        "Số liệu sơ bộ",
        "Tỷ đồng",
    )


def test_reader_accepts_annual_columns_merged_over_both_header_rows(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Bieu 05"
    ws["A1"] = "TỔNG SẢN PHẨM VÀ KINH TẾ SỐ TỈNH HẬU GIANG"
    for col, text in zip(
        "ABCDE", ["STT", "Chỉ tiêu", "Đơn vị tính", "Năm 2023", "Năm 2024"], strict=True
    ):
        ws[f"{col}3"] = text
        ws.merge_cells(f"{col}3:{col}4")
    rows = {
        5: ["1", "Tổng sản phẩm trên địa bàn (GRDP) theo giá hiện hành", "Tỷ đồng", 55000.5, "-"],
        6: ["2", "Giá trị tăng thêm kinh tế số", "Tỷ đồng", "5.500,25", 6100],
        8: [None, "Ghi chú: '-' chưa công bố", None, None, 1],
    }
    for r, values in rows.items():
        for col, value in enumerate(values, start=1):
            ws.cell(r, col, value)
    raw = connector.read_grdp_table(write(wb, tmp_path / "GRDP_KTS_NAM_2024_20250630.xlsx"))
    got = [
        (r["period"], r["measure_code"], r["value"], r["release"])
        for r in raw.iter_rows(named=True)
    ]
    assert got == [
        ("2023", "1", "55000.5", None),
        ("2023", "2", "5.500,25", None),
        ("2024", "2", "6100", None),
    ]


@pytest.mark.parametrize(
    ("cell", "text", "where"),
    [("D4", "Nam 2024", "cell D4"), ("E5", "Quý V", "cell E5")],
)
def test_unrecognised_header_is_an_error_naming_sheet_and_cell(tmp_path, cell, text, where):
    wb = build_workbook(190, quarterly_release(2025, 2))
    wb.active[cell] = text
    with pytest.raises(SourceFileError) as err:
        connector.read_grdp_table(write(wb, tmp_path / "GRDP_KTS_Q2_2025_20250706.xlsx"))
    assert f"sheet '{c.SHEET}'" in str(err.value) and where in str(err.value)
    assert repr(text) in str(err.value)


def test_sheet_without_the_header_or_title_is_an_error(tmp_path):
    wb = Workbook()
    wb.active.title = "Sheet1"
    wb.active["A1"] = "Bảng khác"
    with pytest.raises(SourceFileError, match="sheet 'Sheet1'.*Chỉ tiêu"):
        connector.read_grdp_table(write(wb, tmp_path / "x_20250101.xlsx"))
    wb = build_workbook(190, quarterly_release(2025, 1))
    wb.active["A1"] = "GIÁ TRỊ TĂNG THÊM KINH TẾ SỐ"
    with pytest.raises(SourceFileError, match="names no province"):
        connector.read_grdp_table(write(wb, tmp_path / "y_20250101.xlsx"))
    (tmp_path / "broken.xlsx").write_bytes(b"PK not a zip")
    with pytest.raises(SourceFileError, match="not a readable Excel workbook"):
        connector.read_grdp_table(tmp_path / "broken.xlsx")


def test_empty_file_gives_the_full_column_set(tmp_path):
    (tmp_path / "e.xlsx").write_bytes(b"")
    raw = connector.read_grdp_table(tmp_path / "e.xlsx")
    assert raw.height == 0 and raw.columns == [*c.COLUMNS, "_row"]
    staged, quarantine = stage_grdp(
        raw.with_columns(
            pl.lit(None, dtype=pl.String).alias("_file_id"),
            pl.lit(None, dtype=pl.Date).alias("_file_date"),
        ),
        PROVINCES,
        KNOWN,
    )
    assert staged.height == 0 and quarantine.height == 0 and "unit_code" in staged.columns


# --- staging ---------------------------------------------------------------------------


def cell(**over) -> dict:
    row = {
        "sheet": c.SHEET,
        "cell": "D6",
        "area": "Tỉnh Hậu Giang",
        "release": "Số liệu sơ bộ",
        "measure_code": "1",
        "measure": "Tổng sản phẩm trên địa bàn (GRDP) theo giá hiện hành",
        "unit": "Tỷ đồng",
        "period": "2025-Q1",
        "value": "14126.2",
    }
    row.update(over)
    return row


def stage(rows, file_date=date(2025, 4, 6)):
    raw = (
        pl.DataFrame(rows, schema={col: pl.String for col in c.COLUMNS})
        .with_row_index("_row", offset=1)
        .with_columns(
            pl.col("_row").cast(pl.Int64),
            pl.lit("f1").alias("_file_id"),
            pl.lit(file_date).alias("_file_date"),
        )
    )
    return stage_grdp(raw, PROVINCES, KNOWN)


def test_good_cells_are_typed():
    staged, quarantine = stage(
        [
            cell(),
            cell(cell="D8", measure="Trong đó: Kinh tế số lõi", value="1.013,8"),
            cell(
                cell="H10",
                measure="Tỷ trọng giá trị tăng thêm kinh tế số trong GRDP",
                unit="%",
                value="11.63",
                period="2024",
            ),
        ]
    )
    assert quarantine.height == 0
    rows = staged.select(
        "unit_code",
        "measure",
        "period_type",
        "year",
        "quarter",
        "period_start",
        "period_end",
        "value",
        "unit",
        "release",
    ).rows()
    assert rows == [
        (
            "93",
            "grdp",
            "quarter",
            2025,
            1,
            date(2025, 1, 1),
            date(2025, 3, 31),
            14126.2,
            "billion_vnd",
            "preliminary",
        ),
        (
            "93",
            "digital_core",
            "quarter",
            2025,
            1,
            date(2025, 1, 1),
            date(2025, 3, 31),
            1013.8,
            "billion_vnd",
            "preliminary",
        ),
        (
            "93",
            "digital_share",
            "year",
            2024,
            None,
            date(2024, 1, 1),
            date(2024, 12, 31),
            11.63,
            "percent",
            "preliminary",
        ),
    ]


@pytest.mark.parametrize(
    ("override", "rule", "reason_part"),
    [
        ({"value": None}, "missing_field", "value"),
        ({"area": "Thành phố Cần Thơ"}, "unknown_unit", "Cần Thơ"),
        ({"measure": "Chỉ số giá tiêu dùng (CPI)"}, "code_outside_list", "CPI"),
        ({"unit": "Triệu đồng"}, "code_outside_list", "Triệu đồng"),
        ({"release": "Số liệu dự báo"}, "code_outside_list", "dự báo"),
        ({"period": "2025-H1"}, "invalid_period", "2025-H1"),
        ({"value": "khoảng 14 nghìn"}, "invalid_number", "E6"),
        ({"unit": "%"}, "unit_mismatch", "billion_vnd"),
        ({"value": "-5"}, "negative_value", "negative"),
        ({"value": "99999999"}, "absurd_value", "scale"),
        ({"period": "2025-Q3"}, "date_out_of_range", "release date"),
        ({"period": "1995"}, "date_out_of_range", "before 2000"),
    ],
)
def test_bad_cells_go_to_quarantine_with_rule_and_reason(override, rule, reason_part):
    staged, quarantine = stage([cell(), cell(cell="E6", **override)])
    assert (staged.height, quarantine.height) == (1, 1)
    q = quarantine.row(0, named=True)
    assert (q["rule"], q["_row"]) == (rule, 2)
    assert reason_part in q["reason"]


# --- T07 -----------------------------------------------------------------------------------

STG_COLUMNS = (
    "unit_code varchar, measure varchar, period_type varchar, year integer, quarter tinyint, period_start date, "
    "period_end date, value double, release varchar, _file_date date, _file_id varchar, _row bigint"
)


def stg_rows(con, table: str, rows: list[tuple]) -> None:
    con.execute(f"create or replace table {table} ({STG_COLUMNS})")
    for i, (period, measure, value, release, delivered) in enumerate(rows, start=1):
        year, _, q = period.partition("-Q")
        quarter = int(q) if q else None
        start = date(int(year), 3 * quarter - 2, 1) if quarter else date(int(year), 1, 1)
        end = (
            date(int(year), 3 * quarter, 30 if quarter in (2, 3) else 31)
            if quarter
            else date(int(year), 12, 31)
        )
        con.execute(
            f"insert into {table} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                "93",
                measure,
                "quarter" if quarter else "year",
                int(year),
                quarter,
                start,
                end,
                value,
                release,
                delivered,
                f"f-{delivered}",
                i,
            ],
        )


def t07(con, period_type, start):
    return con.execute(
        """select numerator, denominator, value, target, met, status from mart.indicator_value
           where indicator_id = 'T07' and admin_level = 'province' and period_type = ? and period_start = ?""",
        [period_type, start],
    ).fetchone()


def test_t07_is_digital_value_added_over_grdp_with_the_latest_delivery_winning(geo_db):
    con = geo_db
    make_periods(con, ["2024-01", "2024-12", "2025-03"])
    stg_rows(
        con,
        "stg.stats_grdp_quarterly",
        [
            ("2024-Q1", "grdp", 13000.0, "preliminary", "2024-04-06"),
            ("2024-Q1", "digital_economy", 1300.0, "preliminary", "2024-04-06"),
            ("2025-Q1", "grdp", 15000.0, "preliminary", "2025-04-06"),
            ("2025-Q1", "digital_economy", 3000.0, "preliminary", "2025-04-06"),  # exactly 20%: met
            (
                "2024-Q2",
                "grdp",
                14000.0,
                "preliminary",
                "2024-07-06",
            ),  # no digital value added published
        ],
    )
    stg_rows(
        con,
        "stg.stats_grdp_yearly",
        [
            (
                "2024-Q1",
                "grdp",
                12500.0,
                "official",
                "2025-06-30",
            ),  # restates the preliminary quarter
            ("2024-Q1", "digital_economy", 1500.0, "official", "2025-06-30"),
            ("2024", "grdp", 58000.0, "official", "2025-06-30"),
            ("2024", "digital_economy", 6960.0, "official", "2025-06-30"),
        ],
    )
    build_model(con, "core.fct_grdp")
    compute_indicators(con, [i for i in load_catalogue(CATALOGUE_FILES) if i.id == "T07"], "run-1")
    # the official release wins: 1500 / 12500 = 12%
    assert t07(con, "quarter", "2024-01-01") == (1500, 12500, 12.0, 20, False, "ok")
    # the year is the annual figure only, never the sum of the quarters inside it: 6960 / 58000
    assert t07(con, "year", "2024-01-01")[:3] == (6960, 58000, 12.0)
    assert t07(con, "quarter", "2025-01-01")[2:5] == (20.0, 20, True)
    # GRDP without digital value added gives no value, not 0%
    assert t07(con, "quarter", "2024-04-01")[:3] == (0, 0, None)
    assert t07(con, "quarter", "2024-04-01")[5] == "no_data"
    levels = con.execute(
        "select distinct admin_level from mart.indicator_value where indicator_id = 'T07'"
    ).fetchall()
    assert levels == [("province",)]
    gap = con.execute(
        "select digital_share, release from core.fct_grdp where stat_period_label = '2024-Q1'"
    ).fetchone()
    assert gap == (12.0, "official")


# --- end to end, without Prefect or GX ------------------------------------------------------


def test_end_to_end_small_range(tmp_path):
    from sources.extract import extract
    from transforms.staging.run import load_reference, stage_source
    from warehouse import build as wh
    from warehouse.audit import clear_id_problems, row_balance_problems

    landing = tmp_path / "landing"
    simulate_source("stats", landing, date(2025, 1, 1), date(2025, 7, 31), scale=0.02, seed=3)
    b = wh.prepare_build(tmp_path / "pub.duckdb", tmp_path / "build.duckdb")
    con = wh.connect(b)
    load_reference(con)
    extract(con, SOURCES["stats"], str(landing), tmp_path / "raw", "r1")
    summary = stage_source(con, *staging("stats"), b"k", "r1")
    assert summary.files_failed == 0 and summary.rows_loaded > 0
    for table in ("core.dim_unit", "core.dim_period", "core.fct_grdp"):
        build_model(con, table)
    compute_indicators(
        con, [i for i in load_catalogue(CATALOGUE_FILES) if i.source == "stats"], "r1"
    )
    balance = con.execute(
        "select count(*), bool_and(rows_read = rows_loaded + rows_quarantined + rows_duplicate) from meta.manifest "
        "where source = 'stats'"
    ).fetchone()
    assert balance == (summary.files, True) and not row_balance_problems(con)
    assert not clear_id_problems(con)
    values = dict(
        con.execute(
            "select period_label, value from mart.indicator_value where indicator_id = 'T07' and status = 'ok'"
        ).fetchall()
    )
    assert {"2024", "2025-Q1", "2025-Q2"} <= set(values)
    assert all(5 < v < 20 for v in values.values())
    con.close()


def test_a_release_going_back_to_an_earlier_figure_still_wins(geo_db):
    from transforms.staging.run import load_deduplicated

    con = geo_db
    make_periods(con, ["2025-03"])
    for i, (delivered, value) in enumerate(
        [(date(2025, 4, 6), "14000"), (date(2025, 7, 6), "14100"), (date(2025, 10, 6), "14000")]
    ):
        staged, _ = stage([cell(value=value)], file_date=delivered)
        load_deduplicated(
            con,
            "stg.stats_grdp_quarterly",
            staged.with_columns(pl.lit(f"f{i}").alias("_file_id")),
            "r",
        )
    con.execute(
        "create table stg.stats_grdp_yearly as select * from stg.stats_grdp_quarterly limit 0"
    )
    assert con.execute("select count(*) from stg.stats_grdp_quarterly").fetchone()[0] == 3
    build_model(con, "core.fct_grdp")
    assert con.execute("select grdp, delivered_date from core.fct_grdp").fetchone() == (
        14000,
        date(2025, 10, 6),
    )
