"""Given a handful of hand-written rows, the indicators compute what the definitions say."""

from __future__ import annotations

import pytest
from conftest import CATALOGUE_FILES, MODEL_FOLDERS, make_periods

from transforms.marts.indicators import (
    CatalogueError,
    compute_indicators,
    load_catalogue,
    parse_indicator,
)

COMMUNE_A = "31318"  # Phường I, Vị Thanh (930)
COMMUNE_B = "31321"  # Phường III, Vị Thanh (930)
COMMUNE_C = "31471"  # in another district
DISTRICT_930 = "930"
PROVINCE = "93"

DOSSIER_COLUMNS = (
    "dossier_id varchar, unit_code varchar, received_date date, finished_date date, is_received boolean, "
    "is_online boolean, is_full_process_service boolean, vneid_authenticated boolean, is_finished boolean, "
    "has_e_result boolean, is_dissatisfied boolean, has_complaint boolean, is_overdue boolean"
)


def dossiers(con, rows):
    con.execute(f"create or replace table core.fct_dossier ({DOSSIER_COLUMNS})")
    con.executemany(f"insert into core.fct_dossier values ({', '.join('?' * 13)})", rows)


def value(con, ind, level, code, period_type="month", start="2025-01-01"):
    return con.execute(
        """select numerator, denominator, value, met, status from mart.indicator_value
           where indicator_id = ? and admin_level = ? and admin_code = ? and period_type = ?
             and period_start = ?""",
        [ind, level, code, period_type, start],
    ).fetchone()


def catalogue(*ids):
    return [i for i in load_catalogue(CATALOGUE_FILES) if i.id in ids]


def d(i, unit, online=True, fp=True, vneid=True, received=True, day="2025-01-10"):
    return (f"D{i}", unit, day, day, received, online, fp, vneid, True, True, False, False, False)


def test_t02_counts_full_process_online_over_received_and_rolls_up(geo_db):
    con = geo_db
    make_periods(con, ["2025-01"])
    dossiers(
        con,
        [
            d(1, COMMUNE_A),  # online, full-process  -> numerator
            d(2, COMMUNE_A, online=False),  # in person             -> denominator only
            d(3, COMMUNE_A, fp=False),  # online, partial       -> denominator only
            d(4, COMMUNE_A, received=False),  # not received          -> excluded
            d(5, COMMUNE_B),  # B: 1/1
            d(6, PROVINCE),  # a provincial department: province only
        ],
    )
    compute_indicators(con, catalogue("T02"), "run-1")
    assert value(con, "T02", "commune", COMMUNE_A)[:3] == (1, 3, pytest.approx(100 / 3))
    assert value(con, "T02", "commune", COMMUNE_B)[:3] == (1, 1, 100.0)
    # district: numerators and denominators summed, then divided (2/4), never the mean of 33.3 and 100
    assert value(con, "T02", "district", DISTRICT_930)[:3] == (2, 4, 50.0)
    assert value(con, "T02", "province", PROVINCE)[:3] == (3, 5, 60.0)
    # 60% exactly meets ">= 60"
    assert value(con, "T02", "province", PROVINCE)[3] is True


def test_zero_denominator_gives_no_value_with_reason(geo_db):
    con = geo_db
    make_periods(con, ["2025-01"])
    dossiers(con, [d(1, COMMUNE_A)])
    compute_indicators(con, catalogue("T02"), "run-1")
    num, den, val, met, status = value(con, "T02", "commune", COMMUNE_C)
    assert (num, den, val, met, status) == (0, 0, None, None, "no_data")
    reason = con.execute(
        "select status_reason from mart.indicator_value where admin_code = ? and period_type = 'month'",
        [COMMUNE_C],
    ).fetchone()[0]
    assert reason == "no dossiers received in this unit and period"
    # every one of the 75 communes has a row
    n = con.execute(
        "select count(distinct admin_code) from mart.indicator_value where admin_level = 'commune'"
    ).fetchone()[0]
    assert n == 75


def test_t03_t04_t05_definitions(geo_db):
    con = geo_db
    make_periods(con, ["2025-01"])
    rows = [
        # id, unit, recv, fin, received, online, fp, vneid, finished, e_result, dissatisfied, complaint, overdue
        (
            "A",
            COMMUNE_A,
            "2025-01-05",
            "2025-01-06",
            True,
            True,
            True,
            True,
            True,
            True,
            False,
            False,
            False,
        ),
        (
            "B",
            COMMUNE_A,
            "2025-01-05",
            "2025-01-07",
            True,
            True,
            True,
            False,
            True,
            False,
            True,
            False,
            False,
        ),
        (
            "C",
            COMMUNE_A,
            "2025-01-05",
            "2025-01-08",
            True,
            False,
            False,
            False,
            True,
            True,
            False,
            True,
            False,
        ),
        (
            "E",
            COMMUNE_A,
            "2025-01-05",
            "2025-01-09",
            True,
            False,
            False,
            False,
            True,
            True,
            False,
            False,
            True,
        ),
        (
            "F",
            COMMUNE_A,
            "2025-01-05",
            None,
            True,
            True,
            True,
            True,
            False,
            False,
            False,
            False,
            False,
        ),
    ]
    dossiers(con, rows)
    con.execute(
        "create or replace table core.fct_satisfaction as select * from core.fct_dossier where is_finished"
    )
    compute_indicators(con, catalogue("T03", "T04", "T05"), "run-1")
    # T03: online A, B, F; VNeID A, F -> 2/3
    assert value(con, "T03", "commune", COMMUNE_A)[:2] == (2, 3)
    # T04: finished A, B, C, E; with e-result A, C, E -> 3/4
    assert value(con, "T04", "commune", COMMUNE_A)[:2] == (3, 4)
    # T05: finished 4 minus dissatisfied B, complaint C, overdue E -> 1/4
    assert value(con, "T05", "commune", COMMUNE_A)[:2] == (1, 4)


def test_t01_stock_counts_procedures_full_process_by_period_end(geo_db):
    con = geo_db
    make_periods(con, ["2025-01", "2025-02"])
    con.execute(
        "create or replace table core.fct_provision (agency_code varchar, procedure_code varchar, unit_code varchar, "
        "eligible_full_process boolean, is_full_process boolean, full_process_since date, "
        "valid_from date default '2000-01-01', valid_to date)"
    )
    con.executemany(
        "insert into core.fct_provision (agency_code, procedure_code, unit_code, eligible_full_process, "
        "is_full_process, full_process_since) values (?, ?, ?, ?, ?, ?)",
        [
            ("a", "p1", COMMUNE_A, True, True, "2024-06-01"),
            ("a", "p2", COMMUNE_A, True, True, "2025-02-10"),  # full-process from February
            ("a", "p3", COMMUNE_A, True, False, None),
            ("a", "p4", COMMUNE_A, False, False, None),  # not eligible: outside both
        ],
    )
    compute_indicators(con, catalogue("T01"), "run-1")
    assert value(con, "T01", "commune", COMMUNE_A, "month", "2025-01-01")[:2] == (1, 3)
    assert value(con, "T01", "commune", COMMUNE_A, "month", "2025-02-01")[:2] == (2, 3)
    ytd_feb = con.execute(
        "select numerator, denominator from mart.indicator_value where indicator_id = 'T01' "
        "and period_type = 'ytd' and period_end = date '2025-02-28' and admin_code = ?",
        [COMMUNE_A],
    ).fetchone()
    assert ytd_feb == (2, 3)


def test_strict_comparator_is_not_met_at_the_target(geo_db):
    con = geo_db
    make_periods(con, ["2025-01"])
    dossiers(con, [d(i, COMMUNE_A, online=i < 4) for i in range(5)])  # 4/5 = 80%
    strict = parse_indicator(
        {
            "id": "X80",
            "name_vi": "x",
            "name_en": "x",
            "target": 80,
            "comparator": ">",
            "unit": "percent",
            "source": "dvc",
            "from": "core.fct_dossier",
            "unit_column": "unit_code",
            "date_column": "received_date",
            "numerator": "count(*) filter (where is_online)",
            "denominator": "count(*)",
            "definition": "test",
            "reference": "test",
        }
    )
    at_least = parse_indicator(
        {
            **{k: v for k, v in vars(strict).items() if k != "from_"},
            "from": "core.fct_dossier",
            "id": "X80b",
            "comparator": ">=",
            "periods": ["month"],
            "levels": ["commune"],
            "tables": [],
        }
    )
    compute_indicators(con, [strict, at_least], "run-1")
    assert value(con, "X80", "commune", COMMUNE_A)[2:4] == (80.0, False)
    assert value(con, "X80b", "commune", COMMUNE_A)[2:4] == (80.0, True)


def test_blocked_indicator_keeps_last_published_values(geo_db):
    con = geo_db
    make_periods(con, ["2025-01"])
    dossiers(con, [d(1, COMMUNE_A), d(2, COMMUNE_A, online=False)])
    compute_indicators(con, catalogue("T02", "T03"), "run-1")
    dossiers(con, [d(1, COMMUNE_A)])  # new data would give 100%
    compute_indicators(
        con, catalogue("T02", "T03"), "run-2", blocked={"T02": "critical check failed on X"}
    )
    num, den, val, _, status = value(con, "T02", "commune", COMMUNE_A)
    assert (num, den, val, status) == (1, 2, 50.0, "blocked")
    row = con.execute(
        "select status_reason, run_id, value_run_id from mart.indicator_value where indicator_id = 'T02' limit 1"
    ).fetchone()
    assert row == ("critical check failed on X", "run-2", "run-1")
    assert value(con, "T03", "commune", COMMUNE_A)[4] == "ok"  # the other indicator is recomputed


def test_catalogue_rejects_unknown_keys_and_comparators():
    base = {
        "id": "X",
        "name_vi": "x",
        "name_en": "x",
        "target": 1,
        "comparator": ">=",
        "unit": "percent",
        "source": "s",
        "from": "core.t",
        "unit_column": "u",
        "date_column": "d",
        "numerator": "1",
        "denominator": "1",
        "definition": "",
        "reference": "",
    }
    with pytest.raises(CatalogueError, match="unknown catalogue key"):
        parse_indicator({**base, "numerater": "1"})
    with pytest.raises(CatalogueError, match="comparator"):
        parse_indicator({**base, "comparator": "=>"})
    with pytest.raises(CatalogueError, match="date_column"):
        parse_indicator({**base, "date_column": None})


def test_every_catalogue_entry_reads_existing_core_tables():
    from transforms.core import models

    core_tables = set(models(MODEL_FOLDERS))
    for ind in load_catalogue(CATALOGUE_FILES):
        assert ind.from_ in core_tables, ind.id


def test_numerator_above_denominator_after_aggregation_shows_no_value(geo_db):
    con = geo_db
    make_periods(con, ["2025-01"])
    con.execute(
        "create or replace table core.fct_provision (agency_code varchar, procedure_code varchar, unit_code varchar, "
        "eligible_full_process boolean, is_full_process boolean, full_process_since date, "
        "valid_from date default '2000-01-01', valid_to date)"
    )
    con.execute(
        "insert into core.fct_provision (agency_code, procedure_code, unit_code, eligible_full_process, "
        "is_full_process, full_process_since) values ('a', 'p1', ?, true, true, '2024-01-01')",
        [COMMUNE_A],
    )
    broken = parse_indicator(
        {
            "id": "XB",
            "name_vi": "x",
            "name_en": "x",
            "target": 95,
            "comparator": ">=",
            "unit": "percent",
            "source": "dvc",
            "from": "core.fct_provision",
            "unit_column": "unit_code",
            "period_join": "stock",
            "numerator": "count(*) * 2",
            "denominator": "count(*)",
            "definition": "",
            "reference": "",
            "periods": ["month"],
        }
    )
    compute_indicators(con, [broken], "run-1")
    num, den, val, met, status = value(con, "XB", "commune", COMMUNE_A)
    assert (num, den, val, met, status) == (2, 1, None, None, "invalid")
