"""Geography over time (issue 7): a row's unit is its code as of its date; the province row is
the plan's area for every period; the views across the 1/7/2025 change.

Given small hand-made core tables (never the simulators, which still write 2024 codes), the
engine publishes what the reference lists say, checked by queries independent of the engine.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from datetime import date

import pytest
from conftest import CATALOGUE_FILES, make_periods

from transforms.marts.indicators import (
    AREA_NAME,
    CatalogueError,
    compute_indicators,
    load_catalogue,
    parse_indicator,
)
from transforms.staging.run import REFERENCE

MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]
CHANGE = date(2025, 7, 1)


def reference(name: str) -> list[dict]:
    with (REFERENCE / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


UNITS = reference("admin_units.csv")
CROSSWALK = {r["old_code"]: r["new_code"] for r in reference("crosswalk_2025.csv")}
OLD_COMMUNES = sorted(
    u["unit_code"] for u in UNITS if u["admin_level"] == "commune" and u["valid_to"]
)
NEW_AREA_UNITS = sorted(
    u["unit_code"]
    for u in UNITS
    if u["admin_level"] == "commune" and not u["valid_to"] and u["plan_area_code"] == "93"
)
OTHER_CITY_UNITS = sorted(
    u["unit_code"]
    for u in UNITS
    if u["admin_level"] == "commune" and not u["valid_to"] and not u["plan_area_code"]
)
DISTRICTS = sorted(u["unit_code"] for u in UNITS if u["admin_level"] == "district")

COLUMNS = (
    "dossier_id varchar, unit_code varchar, agency_code varchar, applicant_unit_code varchar, "
    "received_date date, finished_date date, is_received boolean, is_online boolean, "
    "is_full_process_service boolean, vneid_authenticated boolean, is_finished boolean, "
    "has_e_result boolean, is_dissatisfied boolean, has_complaint boolean, is_overdue boolean"
)


def dossier(n: int, unit: str, day: date, online: bool, applicant: str | None = None) -> tuple:
    return (
        f"D{n}",
        unit,
        "a",
        applicant,
        day,
        day,
        True,
        online,
        True,
        True,
        True,
        True,
        False,
        False,
        False,
    )


def a_year_of_dossiers(seed: int = 7) -> list[tuple]:
    """2025 as the real records label it: 2024 codes (communes, district PCs, departments of
    province 93) to 30 June, the new units and the city (92) from 1 July."""
    rnd = random.Random(seed)
    rows: list[tuple] = []
    for month in range(1, 13):
        for k in range(120):
            day = date(2025, month, 1 + k % 28)
            online = rnd.random() < 0.6
            if day < CHANGE:
                unit = rnd.choice(OLD_COMMUNES + DISTRICTS + ["93"])
                rows.append(dossier(len(rows), unit, day, online))
            else:
                pick = rnd.random()
                if pick < 0.55:
                    rows.append(dossier(len(rows), rnd.choice(NEW_AREA_UNITS), day, online))
                elif pick < 0.7:  # another province's former territory: in no plan row
                    rows.append(dossier(len(rows), rnd.choice(OTHER_CITY_UNITS), day, online))
                else:  # a city department; the applicant lives in the area, elsewhere, or unknown
                    applicant = rnd.choice(NEW_AREA_UNITS + OTHER_CITY_UNITS + [None])
                    rows.append(dossier(len(rows), "92", day, online, applicant))
    return rows


def load(con, rows: list[tuple], table: str = "core.fct_dossier", columns: str = COLUMNS) -> None:
    con.execute(f"create or replace table {table} ({columns})")
    marks = ", ".join("?" * len(columns.split(",")))
    con.executemany(f"insert into {table} values ({marks})", rows)


def catalogue(*ids: str):
    return [i for i in load_catalogue(CATALOGUE_FILES) if i.id in ids]


def values(con, ind: str, view: str, level: str, period_type: str, end: str) -> dict:
    """(admin_code, unit_valid_from) -> (numerator, denominator) of one period."""
    rows = con.execute(
        """select admin_code, unit_valid_from, numerator, denominator from mart.indicator_value
           where indicator_id = ? and geo_view = ? and admin_level = ? and period_type = ?
             and period_end = ?""",
        [ind, view, level, period_type, end],
    ).fetchall()
    return {(r[0], str(r[1])): (r[2], r[3]) for r in rows}


@pytest.fixture
def year_2025(geo_db):
    con = geo_db
    make_periods(con, MONTHS)
    rows = a_year_of_dossiers()
    load(con, rows)
    compute_indicators(con, catalogue("T02"), "run-1")
    return con, rows


def test_a_july_province_row_is_the_28_new_units_plus_the_city_rows_of_the_area(year_2025):
    con, rows = year_2025
    # independently of the engine: the July rows of the 28 units, and the city's rows whose
    # applicant lives in one of them (area rule of T02: the applicant's unit)
    july = [r for r in rows if r[4].month == 7]
    communes = [r for r in july if r[1] in NEW_AREA_UNITS]
    city = [r for r in july if r[1] == "92" and r[3] in NEW_AREA_UNITS]
    assert communes and city and any(r[1] == "92" and r[3] not in NEW_AREA_UNITS for r in july)
    expected = (float(sum(r[7] for r in communes + city)), float(len(communes + city)))

    province = values(con, "T02", "as_it_was", "province", "month", "2025-07-31")
    assert list(province.values()) == [expected]
    new_units = values(con, "T02", "as_it_was", "commune", "month", "2025-07-31")
    assert {code for code, _ in new_units} == set(NEW_AREA_UNITS)
    assert {since for _, since in new_units} == {"2025-07-01"}
    summed = [sum(v[i] for v in new_units.values()) for i in (0, 1)]
    assert (summed[0] + sum(r[7] for r in city), summed[1] + len(city)) == expected
    name = con.execute(
        "select distinct admin_name from mart.indicator_value where admin_level = 'province'"
    ).fetchall()
    assert name == [(AREA_NAME,)]


def test_the_province_row_counts_every_month_of_2025_with_no_break_at_july(year_2025):
    con, rows = year_2025
    counted = defaultdict(int)
    for r in rows:
        in_area = (
            r[4] < CHANGE or r[1] in NEW_AREA_UNITS or (r[1] == "92" and r[3] in NEW_AREA_UNITS)
        )
        counted[r[4].month] += in_area
    got = dict(
        con.execute(
            """select month(period_end), denominator from mart.indicator_value
               where indicator_id = 'T02' and admin_level = 'province' and period_type = 'month'"""
        ).fetchall()
    )
    assert got == {m: float(n) for m, n in counted.items()}
    assert all(n > 0 for n in got.values()) and len(got) == 12


def test_districts_and_old_communes_through_june_the_new_units_from_july(year_2025):
    con, _ = year_2025
    grid = con.execute(
        """select admin_level, unit_valid_to is null as new, period_type, min(period_start),
                  max(period_start), max(period_end), count(distinct admin_code)
           from mart.indicator_value
           where indicator_id = 'T02' and geo_view = 'as_it_was' and admin_level <> 'province'
             and period_type in ('month', 'quarter')
           group by all order by all"""
    ).fetchall()
    assert grid == [
        ("commune", False, "month", date(2025, 1, 1), date(2025, 6, 1), date(2025, 6, 30), 75),
        ("commune", False, "quarter", date(2025, 1, 1), date(2025, 4, 1), date(2025, 6, 30), 75),
        ("commune", True, "month", date(2025, 7, 1), date(2025, 12, 1), date(2025, 12, 31), 28),
        ("commune", True, "quarter", date(2025, 7, 1), date(2025, 10, 1), date(2025, 12, 31), 28),
        ("district", False, "month", date(2025, 1, 1), date(2025, 6, 1), date(2025, 6, 30), 8),
        ("district", False, "quarter", date(2025, 1, 1), date(2025, 4, 1), date(2025, 6, 30), 8),
    ]
    # a period straddling the change shows each unit for the part it existed, and says so
    year = con.execute(
        """select admin_level, count(*), bool_and(status_reason like '%existed until 2025-06-30%')
           from mart.indicator_value
           where indicator_id = 'T02' and geo_view = 'as_it_was' and period_type = 'year'
             and unit_valid_to is not null group by 1 order by 1"""
    ).fetchall()
    assert year == [("commune", 75, True), ("district", 8, True)]


def test_year_2025_in_todays_units_is_the_first_half_mapped_forward_plus_the_second(year_2025):
    con, _ = year_2025
    first_half = values(con, "T02", "as_it_was", "commune", "ytd", "2025-06-30")
    second_half = values(con, "T02", "as_it_was", "commune", "quarter", "2025-09-30")
    q4 = values(con, "T02", "as_it_was", "commune", "quarter", "2025-12-31")
    expected: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for (code, _), (num, den) in first_half.items():
        expected[CROSSWALK[code]][0] += num
        expected[CROSSWALK[code]][1] += den
    for half in (second_half, q4):
        for (code, _), (num, den) in half.items():
            expected[code][0] += num
            expected[code][1] += den
    today = values(con, "T02", "todays_units", "commune", "year", "2025-12-31")
    assert {code: list(v) for (code, _), v in today.items()} == dict(expected)
    assert len(today) == 28
    # the province: the same in both views (the whole plan area, the whole year)
    assert values(con, "T02", "todays_units", "province", "year", "2025-12-31") == values(
        con, "T02", "as_it_was", "province", "year", "2025-12-31"
    )
    # only periods straddling the change have the view (year; year-to-date from July)
    periods = con.execute(
        """select distinct period_type, period_end from mart.indicator_value
           where indicator_id = 'T02' and geo_view = 'todays_units' order by all"""
    ).fetchall()
    assert periods == [("year", date(2025, 12, 31))] + [
        ("ytd", date(2025, m, 30 if m in (9, 11) else 31)) for m in range(7, 13)
    ]


def test_former_districts_from_july_sum_the_new_units_and_say_where_inexact(year_2025):
    con, _ = year_2025
    new_units = values(con, "T02", "as_it_was", "commune", "month", "2025-08-31")
    districts = values(con, "T02", "former_district", "district", "month", "2025-08-31")
    # each new unit in the former district holding most of its old units (tie: lowest code)
    old_district = {r["old_code"]: r["old_district_code"] for r in reference("crosswalk_2025.csv")}
    votes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for old, new in CROSSWALK.items():
        votes[new][old_district[old]] += 1
    home = {new: min(v, key=lambda d: (-v[d], d)) for new, v in votes.items()}
    expected: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for (code, _), (num, den) in new_units.items():
        expected[home[code]][0] += num
        expected[home[code]][1] += den
    assert {code: list(v) for (code, _), v in districts.items()} == dict(expected)
    exact = dict(
        con.execute(
            """select admin_code, exact from mart.indicator_value
               where indicator_id = 'T02' and geo_view = 'former_district'
                 and period_type = 'month' and period_end = '2025-08-31'"""
        ).fetchall()
    )
    assert {d for d, ok in exact.items() if not ok} == {"932", "933", "935", "936"}
    assert home["31369"] == "933" and home["31453"] == "935"
    reason = con.execute(
        """select status_reason from mart.indicator_value where indicator_id = 'T02'
           and geo_view = 'former_district' and admin_code = '933' and period_end = '2025-08-31'
           and period_type = 'month'"""
    ).fetchone()[0]
    assert "31369" in reason and "not exact" in reason
    assert not con.execute(
        """select count(*) from mart.indicator_value where geo_view = 'former_district'
           and period_start < '2025-07-01'"""
    ).fetchone()[0]


def test_a_reused_code_is_the_old_unit_in_march_and_the_new_one_in_august(geo_db):
    con = geo_db
    make_periods(con, MONTHS)
    load(
        con,
        [
            dossier(1, "31321", date(2025, 3, 10), True),
            dossier(2, "31321", date(2025, 8, 10), True),
        ],
    )
    compute_indicators(con, catalogue("T02"), "run-1")
    rows = con.execute(
        """select period_end, admin_code, admin_name, parent_code, unit_valid_from, unit_valid_to,
                  denominator
           from mart.indicator_value
           where indicator_id = 'T02' and period_type = 'month' and geo_view = 'as_it_was'
             and admin_code in ('31321', '930') and denominator > 0 order by period_end, admin_code"""
    ).fetchall()
    assert rows == [
        (date(2025, 3, 31), "31321", "Phường III", "930", date(2004, 1, 1), date(2025, 6, 30), 1),
        (
            date(2025, 3, 31),
            "930",
            "Thành phố Vị Thanh",
            "93",
            date(2004, 1, 1),
            date(2025, 6, 30),
            1,
        ),
        (date(2025, 8, 31), "31321", "Phường Vị Thanh", "93", date(2025, 7, 1), None, 1),
    ]


def test_state_rows_count_as_of_the_period_end_and_city_departments_wholly(geo_db):
    con = geo_db
    make_periods(con, MONTHS)
    load(
        con,
        [
            # a department of province 93, full-process from February, gone on 30 June
            ("x.H93", "p1", "93", True, True, "2025-02-01", "2025-01-01", "2025-06-30"),
            # a procedure of a commune: provided until March only (a later snapshot dropped it)
            ("c.H93", "p2", "31318", True, False, None, "2025-01-01", "2025-03-31"),
            # the city department that took over: the whole city, counted wholly (T01's rule)
            ("x.H92", "p1", "92", True, True, "2025-02-01", "2025-07-01", None),
        ],
        "core.fct_provision",
        "agency_code varchar, procedure_code varchar, unit_code varchar, "
        "eligible_full_process boolean, is_full_process boolean, full_process_since date, "
        "valid_from date, valid_to date",
    )
    compute_indicators(con, catalogue("T01"), "run-1")
    got = con.execute(
        """select month(period_end), numerator, denominator from mart.indicator_value
           where indicator_id = 'T01' and admin_level = 'province' and period_type = 'month'
           order by 1"""
    ).fetchall()
    assert got == [(1, 0, 2), (2, 1, 2), (3, 1, 2)] + [(m, 1, 1) for m in range(4, 13)]


def test_without_the_area_column_no_city_row_counts_and_nothing_fails(geo_db):
    con = geo_db
    make_periods(con, MONTHS)
    load(
        con,
        [
            ("D1", "31321", "a", date(2025, 8, 3), False, False, False, False),
            ("D2", "92", "b", date(2025, 8, 3), False, False, False, False),
        ],
        "core.fct_satisfaction",
        "dossier_id varchar, unit_code varchar, agency_code varchar, finished_date date, "
        "is_dissatisfied boolean, has_complaint boolean, is_overdue boolean, is_rated boolean",
    )
    compute_indicators(con, catalogue("T05"), "run-1")
    assert values(con, "T05", "as_it_was", "province", "month", "2025-08-31") == {
        ("93", "2004-01-01"): (1, 1)
    }


def test_the_area_rule_is_written_with_its_column():
    entry = {
        "id": "X1", "name_vi": "x", "name_en": "x", "target": 1, "comparator": ">=",
        "unit": "percent", "source": "dvc", "from": "core.fct_dossier", "unit_column": "unit_code",
        "numerator": "count(*)", "denominator": "count(*)", "definition": "x", "reference": "x",
        "period_join": "stock", "area_column": "applicant_unit_code",
    }  # fmt: skip
    with pytest.raises(CatalogueError, match="area_column needs area_rule"):
        parse_indicator(entry)
    ind = parse_indicator({**entry, "area_rule": "the applicant's unit"})
    assert ind.as_of_column == "period_end"
    t02 = catalogue("T02")[0]
    assert (t02.as_of_column, t02.area_column) == ("received_date", "applicant_unit_code")


def test_a_state_observed_before_july_and_not_resent_counts_in_its_successor(geo_db):
    con = geo_db
    make_periods(con, MONTHS)
    load(
        con,
        [
            ("31318", "2025-05-01", None, True),  # Phường I: in Phường Vị Thanh (31321) from July
            ("930", "2025-05-01", None, True),  # a district's own row: the province only
            ("31318", "2025-08-01", None, False),  # an old code observed in August: nowhere
        ],
        "core.t_state",
        "unit_code varchar, valid_from date, valid_to date, ok boolean",
    )
    ind = parse_indicator(
        {
            "id": "S1", "name_vi": "s", "name_en": "s", "target": 50, "comparator": ">=",
            "unit": "percent", "source": "x", "from": "core.t_state", "unit_column": "unit_code",
            "numerator": "count(*) filter (where ok)", "denominator": "count(*)",
            "definition": "s", "reference": "s", "period_join": "stock", "periods": ["month"],
        }
    )  # fmt: skip
    compute_indicators(con, [ind], "run-1")
    got = con.execute(
        """select month(period_end), admin_code, unit_valid_from, numerator, denominator
           from mart.indicator_value where geo_view = 'as_it_was' and denominator > 0
             and month(period_end) in (5, 8) order by 1, 2"""
    ).fetchall()
    assert got == [
        (5, "31318", date(2004, 1, 1), 1, 1),
        (5, "93", date(2004, 1, 1), 2, 2),
        (5, "930", date(2004, 1, 1), 2, 2),
        (8, "31321", date(2025, 7, 1), 1, 1),
        (8, "93", date(2004, 1, 1), 2, 2),
    ]


def test_a_dossier_a_district_received_in_june_and_finished_in_july_counts_in_july(geo_db):
    con = geo_db
    make_periods(con, MONTHS)
    june, july = date(2025, 6, 20), date(2025, 7, 3)
    rows = [
        # received by district 930 and by old commune 31318 in June, finished in July
        ("D1", "930", "a", None, june, july, *[True] * 6, False, False, False),
        ("D2", "31318", "a", None, june, july, *[True] * 5, False, False, False, False),
        # a new unit's own dossier of July
        ("D3", "31321", "a", None, july, july, *[True] * 6, False, False, False),
        # received by district 930 in June from an applicant of old commune 31318
        ("D4", "930", "a", "31318", june, july, *[True] * 6, False, False, False),
    ]
    load(con, rows)
    compute_indicators(con, catalogue("T04"), "run-1")
    month = values(con, "T04", "as_it_was", "province", "month", "2025-07-31")
    assert list(month.values()) == [(3, 4)]  # all four finished in July, D2 without a result
    communes = values(con, "T04", "as_it_was", "commune", "month", "2025-07-31")
    # the old commune's dossier counts in the new unit it went into (31318 -> 31321), and so
    # does the district's dossier of an applicant from there; the district's dossier without
    # an applicant's commune counts in the province row only
    assert communes[("31321", "2025-07-01")] == (2, 3)
    assert sum(v[1] for v in communes.values()) == 3
    assert not values(con, "T04", "as_it_was", "district", "month", "2025-07-31")
