"""Source ``ict`` (inventory of state information systems): simulator, reader, staging rules, T16–T17 arithmetic, end to end."""

from __future__ import annotations

import re
from datetime import date, datetime
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

from sources.base import SourceFileError
from sources.ict import SOURCE
from sources.ict import constants as c
from sources.ict.connector import quarter_of, read_systems
from sources.ict.simulator import workbook_bytes
from transforms.marts.indicators import compute_indicators, load_catalogue
from transforms.staging.stg_ict import stage_systems

DEPARTMENT = "000.10.00.H93"
DISTRICT_930 = "000.00.930.H93"
COMMUNE_A = "31318.00.930.H93"  # Phường I, Vị Thanh (930)
COMMUNE_B = "31321.00.930.H93"  # Phường III, Vị Thanh (930)
AGENCIES = pl.Series([DEPARTMENT, DISTRICT_930, COMMUNE_A, COMMUNE_B])
CONTACT, PHONE = "Lê Thị Mai", "0912345678"


def system(**over) -> list:
    """One inventory row (cells as a workbook holds them), overridden by column header."""
    cells = {
        c.ROW_NO: 1,
        c.CODE: "HTTT-H93-0001",
        c.NAME: "Trang thông tin điện tử Phường I",
        c.OWNER: COMMUNE_A,
        c.OWNER_NAME: "Ủy ban nhân dân Phường I",
        c.OPERATOR: "VNPT Hậu Giang",
        c.PROPOSED_LEVEL: 2,
        c.APPROVED_LEVEL: 2,
        c.DECISION: "15/QĐ-UBND",
        c.APPROVED_ON: datetime(2025, 2, 10),
        c.PLAN_STATUS: "Đã triển khai đầy đủ",
        c.PLAN_DATE: "15/03/2025",
        c.IN_SERVICE_FROM: datetime(2020, 1, 6),
        c.IN_SERVICE_TO: None,
        c.CONTACT_NAME: CONTACT,
        c.CONTACT_PHONE: PHONE,
        c.NOTE: "gọi anh Mai",
    }
    cells.update(over)
    return [cells[col] for col in c.SYSTEM_COLUMNS]


def write_workbook(path: Path, rows: list[list], as_of: date) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(workbook_bytes(rows, as_of, datetime(2025, 7, 10, 8)))
    return path


def raw_frame(
    tmp_path: Path,
    rows: list[list],
    as_of: date = date(2025, 6, 30),
    delivered: date = date(2025, 7, 10),
    file_id: str = "q2",
) -> pl.DataFrame:
    path = write_workbook(
        tmp_path / file_id / f"DanhMucHTTT_2025Q2_{delivered:%Y%m%d}.xlsx", rows, as_of
    )
    return read_systems(path).with_columns(
        pl.lit(file_id).alias("_file_id"), pl.lit(delivered).alias("_file_date")
    )


def stage(tmp_path: Path, rows: list[list], **kw) -> tuple[pl.DataFrame, pl.DataFrame]:
    return stage_systems(raw_frame(tmp_path, rows, **kw), AGENCIES)


def value(con, ind, level, code, period_type="quarter", start="2025-04-01"):
    return con.execute(
        """select numerator, denominator, value, met, status from mart.indicator_value
           where indicator_id = ? and admin_level = ? and admin_code = ? and period_type = ? and period_start = ?""",
        [ind, level, code, period_type, start],
    ).fetchone()


# --- simulator and reader -------------------------------------------------------


def test_simulator_is_deterministic_and_writes_quarterly_workbooks(tmp_path):
    from sources.ict.simulator import simulate

    a = simulate(tmp_path / "a", date(2025, 1, 1), date(2025, 7, 31), scale=0.02, seed=7)
    b = simulate(tmp_path / "b", date(2025, 1, 1), date(2025, 7, 31), scale=0.02, seed=7)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.xlsx"))
    assert a == b and a["files"] == 3 == len(files)
    for rel in files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
    assert [quarter_of(p.name)[1] for p in files] == [
        date(2024, 12, 31),
        date(2025, 3, 31),
        date(2025, 6, 30),
    ]
    frame = read_systems(tmp_path / "a" / files[-1])
    assert frame.height >= 20
    assert frame[c.AS_OF].unique().to_list() == ["30/06/2025"]
    assert frame[c.CODE].str.starts_with("HTTT-H93-").all()


def test_reader_finds_the_header_below_the_title_and_skips_the_footer(tmp_path):
    path = write_workbook(
        tmp_path / "DanhMucHTTT_2025Q2_20250710.xlsx",
        [
            system(),
            system(
                **{
                    c.ROW_NO: 2,
                    c.CODE: "HTTT-H93-0002",
                    c.APPROVED_LEVEL: None,
                    c.APPROVED_ON: None,
                    c.PLAN_STATUS: None,
                    c.PLAN_DATE: None,
                }
            ),
        ],
        date(2025, 6, 30),
    )
    frame = read_systems(path)
    assert frame.height == 2 and set(frame.columns) == {*c.RAW_COLUMNS, "_row"}
    first = frame.row(0, named=True)
    assert first["_row"] == 5  # title, "as of" line, blank line, header, then the data
    assert first[c.APPROVED_ON] == "2025-02-10" and first[c.PLAN_DATE] == "15/03/2025"
    assert first[c.PROPOSED_LEVEL] == "2" and first[c.AS_OF] == "30/06/2025"
    assert frame.row(1, named=True)[c.APPROVED_LEVEL] is None
    assert SOURCE.period_of(path.name) == (date(2025, 4, 1), date(2025, 6, 30))
    assert quarter_of("DanhMucHTTT_2025Q5_20250710.xlsx") is None


def test_reader_empty_unreadable_and_incomplete_workbooks(tmp_path):
    from openpyxl import Workbook

    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    got = read_systems(empty)
    assert got.height == 0 and set(got.columns) == {*c.RAW_COLUMNS, "_row"}
    staged, quarantine = stage_systems(
        got.with_columns(
            pl.lit(None, pl.String).alias("_file_id"), pl.lit(None, pl.Date).alias("_file_date")
        ),
        AGENCIES,
    )
    assert staged.height == 0 and "inventory_as_of" in staged.columns and quarantine.height == 0
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"STT;Ma he thong\n1;x\n")
    with pytest.raises(SourceFileError, match="not an Excel workbook"):
        read_systems(garbage)
    wb = Workbook()
    wb.active.append([col for col in c.SYSTEM_COLUMNS if col != c.PLAN_STATUS])
    wb.save(tmp_path / "incomplete.xlsx")
    with pytest.raises(SourceFileError, match=c.PLAN_STATUS):
        read_systems(tmp_path / "incomplete.xlsx")


# --- staging --------------------------------------------------------------------


def test_good_rows_are_typed_and_contacts_dropped(tmp_path):
    staged, quarantine = stage(
        tmp_path,
        [
            system(),
            system(
                **{
                    c.CODE: "HTTT-H93-0002",
                    c.APPROVED_LEVEL: None,
                    c.APPROVED_ON: None,
                    c.DECISION: None,
                    c.PLAN_STATUS: None,
                    c.PLAN_DATE: None,
                }
            ),
            system(
                **{c.CODE: "HTTT-H93-0003", c.APPROVED_ON: None}
            ),  # level without date: kept, flagged
        ],
    )
    assert quarantine.height == 0
    first, second, third = staged.rows(named=True)
    assert first["approved_level"] == 2 and first["approved_date"] == date(2025, 2, 10)
    assert first["plan_status"] == "full" and first["plan_status_date"] == date(2025, 3, 15)
    assert first["inventory_as_of"] == date(2025, 6, 30) and first["approval_incomplete"] is False
    assert second["approved_level"] is None and second["plan_status"] == "none"
    assert second["approval_incomplete"] is False
    assert third["approval_incomplete"] is True
    text = staged.write_csv()
    for personal in (CONTACT, PHONE, "gọi anh"):
        assert personal not in text


@pytest.mark.parametrize(
    ("override", "rule", "reason_part"),
    [
        ({c.CODE: None}, "missing_field", c.CODE),
        ({c.OWNER: " "}, "missing_field", c.OWNER),
        ({c.PROPOSED_LEVEL: None}, "missing_field", c.PROPOSED_LEVEL),
        ({c.PROPOSED_LEVEL: 6}, "code_outside_list", "=6"),
        ({c.APPROVED_LEVEL: "Cấp 3"}, "code_outside_list", "Cấp 3"),
        ({c.PLAN_STATUS: "Hoàn thành"}, "code_outside_list", "Hoàn thành"),
        ({c.APPROVED_ON: "31/02/2025"}, "invalid_date", "31/02/2025"),
        ({c.IN_SERVICE_TO: "sắp tới"}, "invalid_date", "sắp tới"),
        ({c.PLAN_DATE: "01/08/2025"}, "date_out_of_range", "extract date"),
        ({c.IN_SERVICE_FROM: datetime(1995, 1, 1)}, "date_out_of_range", "before 2000"),
        ({c.IN_SERVICE_TO: datetime(2019, 1, 1)}, "out_of_service_before_in_service", "is before"),
        ({c.CODE: "HTTT-H93-0001"}, "duplicate_key", "more than once"),
        ({c.OWNER: "000.99.00.H93"}, "unknown_agency", "000.99.00.H93"),
    ],
)
def test_bad_rows_go_to_quarantine_with_rule_and_reason(tmp_path, override, rule, reason_part):
    staged, quarantine = stage(
        tmp_path, [system(), system(**{c.ROW_NO: 2, c.CODE: "BAD", **override})]
    )
    assert staged.height == 1 and quarantine.height == 1
    bad = quarantine.row(0, named=True)
    assert bad["rule"] == rule and reason_part in bad["reason"] and bad["_row"] == 6
    for personal in (CONTACT, PHONE, "gọi anh"):
        assert personal not in bad["record"]


# --- core and indicators ----------------------------------------------------------


def inventories(con, tmp_path):
    """Q1 and Q2 inventories: Q1 answers for the days up to 29 June, Q2 from 30 June."""
    q1 = raw_frame(
        tmp_path,
        [
            system(**{c.CODE: "S1"}),
            system(
                **{c.CODE: "S9", c.APPROVED_LEVEL: None, c.APPROVED_ON: None}
            ),  # dropped from the latest
        ],
        as_of=date(2025, 3, 31),
        delivered=date(2025, 4, 10),
        file_id="q1",
    )
    no_approval = {
        c.APPROVED_LEVEL: None,
        c.APPROVED_ON: None,
        c.DECISION: None,
        c.PLAN_STATUS: None,
        c.PLAN_DATE: None,
    }
    partial = {c.PLAN_STATUS: "Đang triển khai một phần", c.PLAN_DATE: "20/05/2025"}
    q2 = raw_frame(
        tmp_path,
        [
            system(**{c.CODE: "S1"}),  # approved Feb, plan full Mar
            system(
                **{c.CODE: "S2", c.APPROVED_ON: datetime(2025, 5, 5), **partial}
            ),  # approved in Q2
            system(**{c.CODE: "S3", **no_approval}),  # never approved
            system(
                **{
                    c.CODE: "S4",
                    c.APPROVED_ON: datetime(2025, 4, 1),
                    **partial,
                    c.IN_SERVICE_FROM: datetime(2025, 5, 1),
                }
            ),  # in service from May
            system(
                **{c.CODE: "S5", **partial, c.IN_SERVICE_TO: datetime(2025, 4, 15)}
            ),  # out of service in April
            system(
                **{c.CODE: "S6", c.OWNER: COMMUNE_B, c.APPROVED_ON: None, c.PLAN_DATE: None}
            ),  # undated
            system(
                **{
                    c.CODE: "S7",
                    c.OWNER: DISTRICT_930,
                    c.APPROVED_ON: datetime(2019, 3, 1),
                    c.PLAN_DATE: datetime(2020, 1, 1),
                }
            ),
            system(**{c.CODE: "S8", c.OWNER: DEPARTMENT, **no_approval}),
        ],
        as_of=date(2025, 6, 30),
        delivered=date(2025, 7, 10),
        file_id="q2",
    )
    staged, quarantine = stage_systems(pl.concat([q1, q2]), AGENCIES)
    assert quarantine.height == 0
    con.register("_s", staged)
    con.execute(
        "create table stg.ict_system as select *, 'h' || _file_id || _row as _row_hash from _s"
    )
    build_model(con, "core.fct_information_system")


def test_t16_t17_stock_at_each_period_end_from_the_inventory_of_that_day(geo_db, tmp_path):
    con = geo_db
    make_periods(con, ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"])
    inventories(con, tmp_path)
    # S1 unchanged in both inventories: one row; S9 until the day before Q2's; S2-S8 from Q2's
    rows = con.execute(
        "select system_code, cast(valid_from as varchar), cast(valid_to as varchar) "
        "from core.fct_information_system where system_code in ('S1', 'S9', 'S2') order by 1"
    ).fetchall()
    assert rows == [
        ("S1", "2000-01-01", None),
        ("S2", "2025-06-30", None),
        ("S9", "2000-01-01", "2025-06-29"),
    ]
    assert con.execute("select count(*) from core.fct_information_system").fetchone()[0] == 9
    compute_indicators(
        con, [i for i in load_catalogue(CATALOGUE_FILES) if i.id in ("T16", "T17")], "run-1"
    )
    # commune A, Q1 (31 March), as the Q1 inventory listed it: S1 and S9; approved S1 (S9 has no
    # approval); plan full both (the template's plan status)
    assert value(con, "T16", "commune", "31318", start="2025-01-01")[:2] == (1, 2)
    assert value(con, "T17", "commune", "31318", start="2025-01-01")[:2] == (2, 2)
    # commune A, Q2 (30 June): S1, S2, S3, S4 (S5 out of service); approved S1, S2, S4; plan full S1
    assert value(con, "T16", "commune", "31318")[:4] == (3, 4, 75.0, False)
    assert value(con, "T17", "commune", "31318")[:2] == (1, 4)
    # commune B: S6 first listed on 30 June (none in Q1); approval and plan without dates count
    # from the inventory's date
    assert value(con, "T16", "commune", "31321", start="2025-01-01")[:2] == (0, 0)
    assert value(con, "T16", "commune", "31321")[:4] == (1, 1, 100.0, True)
    assert value(con, "T17", "commune", "31321")[:4] == (1, 1, 100.0, True)
    # district 930 pools its communes and its own system S7; the province adds the department's S8
    assert value(con, "T16", "district", "930")[:2] == (5, 6)
    assert value(con, "T17", "district", "930")[:2] == (3, 6)
    assert value(con, "T16", "province", "93")[:3] == (5, 7, pytest.approx(500 / 7))
    assert value(con, "T17", "province", "93", "year", "2025-01-01")[:2] == (3, 7)
    assert value(con, "T16", "commune", "31340")[4] == "no_data"
    periods = {
        r[0]
        for r in con.execute("select distinct period_type from mart.indicator_value").fetchall()
    }
    assert periods == {"quarter", "year"}


# --- end to end -----------------------------------------------------------------------


def test_end_to_end_small(tmp_path):
    from sources.ict.simulator import contacts, simulate
    from transforms.core import models

    landing = tmp_path / "landing"
    simulate(landing, date(2025, 1, 1), date(2025, 7, 31), scale=0.02, seed=7)
    con, summary = stage_landing(tmp_path, "ict", landing)
    assert summary.files == 3 and summary.files_failed == 0 and summary.rows_loaded > 60
    sql = models(MODEL_FOLDERS)
    for table in [
        "core.dim_unit",
        "core.dim_agency",
        "core.dim_period",
        "core.fct_information_system",
    ]:
        con.execute(f"create or replace table {table} as {sql[table]}")
    compute_indicators(con, [i for i in load_catalogue(CATALOGUE_FILES) if i.source == "ict"], "r1")

    balance = con.execute(
        "select count(*), count(*) filter (where rows_read = rows_loaded + rows_quarantined + rows_duplicate) "
        "from meta.manifest where source = 'ict' and status = 'loaded'"
    ).fetchone()
    assert balance == (3, 3)
    # every system still listed by the latest inventory (30 June) is valid from then on
    assert con.execute(
        "select distinct inventory_as_of from core.fct_information_system where valid_to is null"
    ).fetchall() == [(date(2025, 6, 30),)]
    q2 = con.execute(
        "select indicator_id, numerator, denominator, status from mart.indicator_value "
        "where period_type = 'quarter' and period_start = date '2025-04-01' and admin_level = 'province' "
        "order by 1"
    ).fetchall()
    assert [r[0] for r in q2] == ["T16", "T17"]
    assert all(r[3] == "ok" and 0 < r[1] <= r[2] for r in q2)

    people = {name for name, _ in contacts(7).values()} | {
        phone for _, phone in contacts(7).values()
    }
    pattern = "|".join(re.escape(p) for p in sorted(people))
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
