"""Source ``docs`` (document-management system): simulator, reader, staging rules, T06a–c arithmetic, end to end."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from conftest import (
    CATALOGUE_FILES,
    MODEL_FOLDERS,
    build_model,
    make_periods,
    stage_landing,
)

from sources.docs import SOURCE
from sources.docs import constants as c
from sources.docs.connector import month_of, read_work_files
from transforms.marts.indicators import compute_indicators, load_catalogue
from transforms.pii import keyed_hash
from transforms.staging.stg_docs import stage_work_files

KEY = b"test-key"
DEPARTMENT = "000.10.00.H93"  # Sở Thông tin và Truyền thông (province)
DEPARTMENT_B = "000.02.00.H93"  # Sở Tư pháp (province)
DISTRICT_930 = "000.00.930.H93"  # UBND Thành phố Vị Thanh
DISTRICT_931 = "000.00.931.H93"  # UBND Thành phố Ngã Bảy
COMMUNE_A = "31318.00.930.H93"  # UBND Phường I (Vị Thanh, 930)
COMMUNE_B = "31321.00.930.H93"  # UBND Phường III (Vị Thanh, 930)
COMMUNE_C = "31340.00.931.H93"  # UBND Phường Ngã Bảy (931)
AGENCIES = pl.Series(
    [DEPARTMENT, DEPARTMENT_B, DISTRICT_930, DISTRICT_931, COMMUNE_A, COMMUNE_B, COMMUNE_C]
)


# --- helpers -------------------------------------------------------------------


def row(**over) -> dict:
    """One report row, as the system writes it (Vietnamese headers), with fields overridden by English keys."""
    fields = {
        "code": "31318.00.930.H93.2025.00001",
        "agency": COMMUNE_A,
        "agency_name": "Ủy ban nhân dân Phường I",
        "title": "Hồ sơ giải quyết đơn kiến nghị của ông Nguyễn Văn Hùng",
        "officer": "Trần Thị Lan",
        "login": "lantt.x31318",
        "opened": "06/01/2025",
        "closed": "20/01/2025",
        "status": "Đã kết thúc",
        "online": "Có",
        "secrecy": "Thường",
        "n_docs": "5",
        "updated": "20/01/2025 16:30:00",
    }
    fields.update(over)
    keys = [
        "code",
        "agency",
        "agency_name",
        "title",
        "officer",
        "login",
        "opened",
        "closed",
        "status",
        "online",
        "secrecy",
        "n_docs",
        "updated",
    ]
    return dict(zip(c.WORK_FILE_COLUMNS, [fields[k] for k in keys], strict=True))


def write_report(path: Path, rows: list[dict]) -> Path:
    frame = pl.DataFrame(rows, schema={col: pl.String for col in c.WORK_FILE_COLUMNS})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b"\xef\xbb\xbf" + frame.write_csv(line_terminator="\r\n", null_value="").encode("utf-8")
    )
    return path


def raw_frame(
    tmp_path: Path, rows: list[dict], delivered: date = date(2025, 2, 3), file_id: str = "f1"
) -> pl.DataFrame:
    path = write_report(tmp_path / f"{file_id}" / f"hscv_202501_{delivered:%Y%m%d}.csv", rows)
    return read_work_files(path).with_columns(
        pl.lit(file_id).alias("_file_id"), pl.lit(delivered).alias("_file_date")
    )


def stage(tmp_path: Path, rows: list[dict], **kw) -> tuple[pl.DataFrame, pl.DataFrame]:
    return stage_work_files(raw_frame(tmp_path, rows, **kw), KEY, AGENCIES)


def value(con, ind, level, code, period_type="month", start="2025-01-01"):
    return con.execute(
        """select numerator, denominator, value, met, status from mart.indicator_value
           where indicator_id = ? and admin_level = ? and admin_code = ? and period_type = ? and period_start = ?""",
        [ind, level, code, period_type, start],
    ).fetchone()


def catalogue(*ids):
    return [i for i in load_catalogue(CATALOGUE_FILES) if i.id in ids]


# --- simulator and reader -------------------------------------------------------


def test_simulator_is_deterministic_and_writes_monthly_reports(tmp_path):
    from sources.docs.simulator import simulate

    a = simulate(tmp_path / "a", date(2025, 1, 1), date(2025, 3, 31), scale=0.02, seed=7)
    b = simulate(tmp_path / "b", date(2025, 1, 1), date(2025, 3, 31), scale=0.02, seed=7)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.csv"))
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.csv"))
    assert a == b and files_a == files_b and a["files"] == 3 and a["work_file"] > 500
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
    # the December report is delivered in January: reports cover the month before their delivery
    names = [p.name for p in files_a]
    assert names[0].startswith("hscv_202412_202501")
    assert month_of(names[1]) == (date(2025, 1, 1), date(2025, 1, 31))
    # a month's report does not depend on the range asked for
    simulate(tmp_path / "c", date(2025, 2, 1), date(2025, 2, 28), scale=0.02, seed=7)
    (only,) = list((tmp_path / "c").rglob("*.csv"))
    assert only.read_bytes() == (tmp_path / "a" / only.relative_to(tmp_path / "c")).read_bytes()
    frame = read_work_files(only)
    assert set(frame.columns) == {*c.WORK_FILE_COLUMNS, "_row"}
    assert set(frame[c.ONLINE].unique()) <= {"Có", "Không", "Chưa xác định"}


def test_reader_gives_every_column_for_an_empty_file_and_names_a_missing_column(tmp_path):
    from sources.base import SourceFileError

    empty = tmp_path / "hscv_202501_20250203.csv"
    empty.write_bytes(b"")
    assert set(read_work_files(empty).columns) == {*c.WORK_FILE_COLUMNS, "_row"}
    staged, quarantine = stage_work_files(
        read_work_files(empty).with_columns(
            pl.lit(None, pl.String).alias("_file_id"), pl.lit(None, pl.Date).alias("_file_date")
        ),
        KEY,
        AGENCIES,
    )
    assert staged.height == 0 and "opened_date" in staged.columns and quarantine.height == 0
    bad = tmp_path / "hscv_202502_20250303.csv"
    bad.write_text("Mã hồ sơ,Mã định danh đơn vị\nx,y\n", encoding="utf-8")
    with pytest.raises(SourceFileError, match="Ngày mở hồ sơ"):
        read_work_files(bad)
    assert month_of("hscv_202513_20260103.csv") is None
    assert SOURCE.period_of("hscv_202502_20250303.csv") == (date(2025, 2, 1), date(2025, 2, 28))


# --- staging --------------------------------------------------------------------


def test_good_row_is_typed_hashed_and_stripped_of_titles_and_names(tmp_path):
    staged, quarantine = stage(
        tmp_path,
        [
            row(),
            row(
                code="X2",
                closed=None,
                status="Đang xử lý",
                online="Không",
                secrecy="Mật",
                updated=None,
            ),
        ],
    )
    assert quarantine.height == 0
    first, second = staged.rows(named=True)
    assert first["opened_date"] == date(2025, 1, 6) and first["closed_date"] == date(2025, 1, 20)
    assert first["status"] == "closed" and first["is_processed_online"] is True
    assert first["is_state_secret"] is False and first["n_documents"] == 5
    assert first["officer_hash"] == keyed_hash("lanttx31318", KEY)
    assert (
        second["status"] == "open"
        and second["is_state_secret"] is True
        and second["secrecy_level"] == "confidential"
    )
    text = staged.write_csv()
    for personal in ("Nguyễn Văn Hùng", "Trần Thị Lan", "lantt"):
        assert personal not in text


@pytest.mark.parametrize(
    ("override", "rule", "reason_part"),
    [
        ({"code": ""}, "missing_field", c.CODE),
        ({"agency": None}, "missing_field", c.AGENCY),
        ({"opened": ""}, "missing_field", c.OPENED),
        ({"secrecy": None}, "missing_field", c.SECRECY),
        ({"status": "Tạm dừng"}, "code_outside_list", "Tạm dừng"),
        ({"online": "Chưa xác định"}, "code_outside_list", "Chưa xác định"),
        ({"secrecy": "Khẩn"}, "code_outside_list", "Khẩn"),
        ({"opened": "31/02/2025"}, "invalid_date", "31/02/2025"),
        ({"updated": "hôm qua"}, "invalid_date", c.UPDATED),
        ({"opened": "06/01/1999"}, "date_out_of_range", "before 2000"),
        ({"closed": "05/02/2025"}, "date_out_of_range", "extract date"),
        ({"closed": "02/01/2025"}, "closed_before_opened", "is before"),
        ({"status": "Đang xử lý"}, "status_conflict", "does not agree"),
        ({"closed": None}, "status_conflict", "does not agree"),
        ({"n_docs": "-2"}, "invalid_count", "-2"),
        ({"n_docs": "năm"}, "invalid_count", "năm"),
        ({"n_docs": "100000"}, "invalid_count", "100000"),
        ({"agency": "000.99.00.H93"}, "unknown_agency", "000.99.00.H93"),
    ],
)
def test_bad_rows_go_to_quarantine_with_rule_and_reason(tmp_path, override, rule, reason_part):
    staged, quarantine = stage(tmp_path, [row(), row(**{"code": "BAD", **override})])
    assert staged.height == 1 and quarantine.height == 1
    bad = quarantine.row(0, named=True)
    assert bad["rule"] == rule and reason_part in bad["reason"] and bad["_row"] == 2
    # the quarantine record keeps what an operator needs, never the title, names or logins
    for personal in ("Nguyễn Văn Hùng", "Trần Thị Lan", "lantt"):
        assert personal not in bad["record"] and personal not in bad["reason"]


# --- core and indicators ----------------------------------------------------------

FACT_COLUMNS = (
    "work_file_id varchar, unit_code varchar, agency_level varchar, opened_date date, "
    "is_processed_online boolean, is_state_secret boolean"
)


def facts(con, rows):
    con.execute(f"create or replace table core.fct_work_file ({FACT_COLUMNS})")
    con.executemany("insert into core.fct_work_file values (?, ?, ?, ?, ?, ?)", rows)


def wf(i, unit, level, online=True, secret=False, day="2025-01-10"):
    return (f"W{i}", unit, level, day, online, secret)


def test_t06c_commune_files_online_over_opened_secrets_excluded_and_rolled_up(geo_db):
    con = geo_db
    make_periods(con, ["2025-01", "2025-02"])
    facts(
        con,
        [
            wf(1, "31318", "commune"),  # A: online           -> num, den
            wf(2, "31318", "commune", online=False),  # A: on paper         -> den
            wf(3, "31318", "commune", online=False, secret=True),  # A: secret           -> neither
            wf(4, "31318", "commune", online=True, secret=True),  # A: secret           -> neither
            wf(5, "31321", "commune"),  # B (930): 1/1
            wf(6, "31340", "commune", online=False),  # C (931): 0/1
            wf(7, "930", "district", online=False),  # a district's file: not in T06c
            wf(8, "93", "province", online=False),  # a department's file: not in T06c
            wf(9, "31318", "commune", day="2025-02-03"),  # February
        ],
    )
    compute_indicators(con, catalogue("T06c"), "run-1")
    assert value(con, "T06c", "commune", "31318")[:3] == (1, 2, 50.0)
    assert value(con, "T06c", "commune", "31321")[:4] == (1, 1, 100.0, True)
    assert value(con, "T06c", "commune", "31340")[:4] == (0, 1, 0.0, False)
    # pooled, never averaged: 930 = (1 + 1) / (2 + 1)
    assert value(con, "T06c", "district", "930")[:3] == (2, 3, pytest.approx(200 / 3))
    assert value(con, "T06c", "province", "93")[:3] == (2, 4, 50.0)
    assert value(con, "T06c", "commune", "31318", "month", "2025-02-01")[:2] == (1, 1)
    assert value(con, "T06c", "commune", "31318", "quarter", "2025-01-01")[:2] == (2, 3)
    # 60% meets ">= 60": 3 of 5
    facts(con, [wf(i, "31318", "commune", online=i < 3) for i in range(5)])
    compute_indicators(con, catalogue("T06c"), "run-2")
    assert value(con, "T06c", "commune", "31318")[2:4] == (60.0, True)


def test_t06b_district_files_only_at_district_and_province(geo_db):
    con = geo_db
    make_periods(con, ["2025-01"])
    facts(
        con,
        [
            wf(1, "930", "district"),
            wf(2, "930", "district"),
            wf(3, "930", "district"),
            wf(4, "930", "district", online=False),  # 930: 3/4 = 75% < 80
            wf(5, "930", "district", online=False, secret=True),  # secret: excluded
            wf(6, "931", "district"),
            wf(7, "931", "district"),  # 931: 2/2
            wf(8, "31318", "commune", online=False),  # commune file: not in T06b
        ],
    )
    compute_indicators(con, catalogue("T06b"), "run-1")
    assert value(con, "T06b", "district", "930")[:4] == (3, 4, 75.0, False)
    assert value(con, "T06b", "district", "931")[:4] == (2, 2, 100.0, True)
    assert value(con, "T06b", "district", "932")[4] == "no_data"
    assert value(con, "T06b", "province", "93")[:3] == (5, 6, pytest.approx(500 / 6))
    levels = {
        r[0]
        for r in con.execute("select distinct admin_level from mart.indicator_value").fetchall()
    }
    assert levels == {"district", "province"}


def test_t06a_department_files_at_the_province_only(geo_db):
    con = geo_db
    make_periods(con, ["2025-01"])
    facts(
        con,
        [
            *[wf(i, "93", "province") for i in range(9)],  # 9 online
            wf(9, "93", "province", online=False),  # 1 on paper -> 9/10 = 90%
            wf(10, "93", "province", online=False, secret=True),  # secret: excluded
            wf(11, "930", "district", online=False),  # a district's file: not in T06a
        ],
    )
    compute_indicators(con, catalogue("T06a"), "run-1")
    assert value(con, "T06a", "province", "93")[:4] == (9, 10, 90.0, True)
    assert (
        con.execute("select count(distinct admin_code) from mart.indicator_value").fetchone()[0]
        == 1
    )


def test_core_keeps_the_latest_report_of_each_file(geo_db, tmp_path):
    con = geo_db
    january = raw_frame(
        tmp_path,
        [
            row(
                code="F1",
                closed=None,
                status="Đang xử lý",
                online="Có",
                updated="25/01/2025 08:00:00",
            ),
            row(code="F2", agency=DEPARTMENT, closed=None, status="Đang xử lý", online="Có"),
        ],
        delivered=date(2025, 2, 3),
        file_id="jan",
    )
    february = raw_frame(
        tmp_path,
        [
            # closed in February, with a paper step: no longer handled end to end online
            row(
                code="F1",
                closed="10/02/2025",
                status="Đã nộp lưu",
                online="Không",
                updated="10/02/2025 09:00:00",
            ),
        ],
        delivered=date(2025, 3, 4),
        file_id="feb",
    )
    staged, _ = stage_work_files(pl.concat([january, february]), KEY, AGENCIES)
    con.register("_s", staged)
    con.execute("create table stg.docs_work_file as select *, 'h' || _row as _row_hash from _s")
    build_model(con, "core.fct_work_file")
    got = {
        r[0]: r[1:]
        for r in con.execute(
            "select work_file_id, unit_code, agency_level, is_closed, is_processed_online, closed_date "
            "from core.fct_work_file"
        ).fetchall()
    }
    assert got["F1"] == ("31318", "commune", True, False, date(2025, 2, 10))
    assert got["F2"] == ("93", "province", False, True, None)


# --- end to end -----------------------------------------------------------------------


def test_end_to_end_small(tmp_path):
    from sources.docs.simulator import agencies, simulate, titles
    from transforms.core import models

    landing = tmp_path / "landing"
    simulate(landing, date(2025, 1, 1), date(2025, 3, 31), scale=0.02, seed=7)
    con, summary = stage_landing(tmp_path, "docs", landing)
    assert summary.files == 3 and summary.files_failed == 0 and summary.rows_loaded > 500
    sql = models(MODEL_FOLDERS)
    for table in ["core.dim_unit", "core.dim_agency", "core.dim_period", "core.fct_work_file"]:
        con.execute(f"create or replace table {table} as {sql[table]}")
    compute_indicators(
        con, [i for i in load_catalogue(CATALOGUE_FILES) if i.source == "docs"], "r1"
    )

    balance = con.execute(
        "select count(*), count(*) filter (where rows_read = rows_loaded + rows_quarantined + rows_duplicate) "
        "from meta.manifest where source = 'docs' and status = 'loaded'"
    ).fetchone()
    assert balance == (3, 3)
    jan = con.execute(
        "select indicator_id, numerator, denominator, status from mart.indicator_value "
        "where period_type = 'month' and period_start = date '2025-01-01' and admin_level = 'province' "
        "order by 1"
    ).fetchall()
    assert [r[0] for r in jan] == ["T06a", "T06b", "T06c"]
    assert all(r[3] == "ok" and 0 < r[1] <= r[2] for r in jan)

    # no officer's or citizen's name, and no login in clear, anywhere in the warehouse
    _, names, logins = agencies(7)
    citizens = [*titles(7, 2024)[1], *titles(7, 2025)[1]]
    people = set(names) | {t.split(" của ", 1)[1].split(" về ")[0] for t in citizens}
    pattern = "|".join(re.escape(p) for p in sorted(people | set(logins)))
    columns = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where data_type = 'VARCHAR' and table_schema in ('stg', 'core', 'mart', 'audit', 'meta')"
    ).fetchall()
    for schema, table, column in columns:
        hits = con.execute(
            f'select count(*) from {schema}."{table}" where regexp_matches("{column}", ?)',
            [pattern],
        ).fetchone()[0]
        assert hits == 0, f"personal data in {schema}.{table}.{column}"
    con.close()
