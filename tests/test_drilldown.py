"""Drill-downs split the headline's numerator and denominator by procedure, agency, school, ...:
the members add up to the headline, and their gap shares add up to the gap."""

from __future__ import annotations

import duckdb
import pytest
from conftest import CATALOGUE_FILES, make_periods

from transforms.marts import build_marts
from transforms.marts.indicators import CatalogueError, load_catalogue, parse_indicator

PROVINCE, DISTRICT, COMMUNE_A, COMMUNE_B = "93", "930", "31318", "31321"


def finished(i, unit, procedure, agency, e_result, day="2025-01-10"):
    return (f"D{i}", unit, procedure, agency, day, True, e_result)


def test_t04_by_procedure_adds_up_and_ranks_the_gap(geo_db):
    con = geo_db
    make_periods(con, ["2025-01"])
    con.execute(
        "create table core.fct_dossier (dossier_id varchar, unit_code varchar, procedure_code varchar, "
        "agency_code varchar, finished_date date, is_finished boolean, has_e_result boolean)"
    )
    rows = [
        finished(1, COMMUNE_A, "P1", "A1", True),
        finished(2, COMMUNE_A, "P1", "A1", False),
        finished(3, COMMUNE_A, "P1", "A1", False),
        finished(4, COMMUNE_B, "P2", "A2", True),
        finished(5, PROVINCE, "P2", "A3", True),
        finished(6, PROVINCE, "P3", "A3", False),
    ]
    con.executemany("insert into core.fct_dossier values (?, ?, ?, ?, ?, ?, ?)", rows)
    t04 = [i for i in load_catalogue(CATALOGUE_FILES) if i.id == "T04"]
    con.execute("create view mart.drilldown_gone as select 1 as x")  # a dimension since removed
    build_marts(con, t04, "r1", {})
    views = {r[0] for r in con.execute("select view_name from duckdb_views()").fetchall()}
    assert {"drilldown_procedure", "drilldown_agency"} <= views and "drilldown_gone" not in views
    got = {
        (r[0], r[1]): r[2:]
        for r in con.execute(
            """select admin_code, member_code, numerator, denominator, gap_count, gap_pp, gap_rank
               from mart.drilldown_procedure where period_type = 'month'"""
        ).fetchall()
    }
    # province: 3 of 6 finished dossiers with an e-result = 50%, target 100%: 3 dossiers short
    assert got[(PROVINCE, "P1")] == (1, 3, -2, pytest.approx(-200 / 6), 1)
    assert got[(PROVINCE, "P3")] == (0, 1, -1, pytest.approx(-100 / 6), 2)
    assert got[(PROVINCE, "P2")] == (2, 2, 0, 0, 3)
    # district 930 holds communes A and B only
    assert got[(DISTRICT, "P1")][:2] == (1, 3) and got[(DISTRICT, "P2")][:2] == (1, 1)
    assert (DISTRICT, "P3") not in got
    gap = con.execute(
        "select value - target from mart.indicator_value where admin_code = '93' and period_type = 'month'"
    ).fetchone()[0]
    assert sum(v[3] for (unit, _), v in got.items() if unit == PROVINCE) == pytest.approx(gap)


def test_a_blocked_indicator_keeps_its_last_drilldown(geo_db):
    con = geo_db
    make_periods(con, ["2025-01"])
    con.execute(
        "create table core.fct_dossier (dossier_id varchar, unit_code varchar, procedure_code varchar, "
        "agency_code varchar, finished_date date, is_finished boolean, has_e_result boolean)"
    )
    con.execute(
        "insert into core.fct_dossier values (?, ?, ?, ?, ?, ?, ?)",
        finished(1, COMMUNE_A, "P1", "A1", True),
    )
    t04 = [i for i in load_catalogue(CATALOGUE_FILES) if i.id == "T04"]
    build_marts(con, t04, "r1", {})
    before = con.execute("select * from mart.indicator_drilldown order by all").fetchall()
    con.execute(
        "insert into core.fct_dossier values (?, ?, ?, ?, ?, ?, ?)",
        finished(2, COMMUNE_A, "P2", "A1", False),
    )
    build_marts(con, t04, "r2", {"T04": "critical check failed"})
    assert con.execute("select * from mart.indicator_drilldown order by all").fetchall() == before
    build_marts(con, t04, "r3", {})
    assert con.execute(
        "select count(distinct member_code) from mart.drilldown_procedure where admin_level = 'province'"
    ).fetchall() == [(2,)]


def test_a_drilldown_on_a_rank_is_refused():
    entry = {
        "id": "R9",
        "name_vi": "x",
        "name_en": "x",
        "target": 1,
        "comparator": "<=",
        "unit": "rank",
        "factor": 1,
        "source": "rankings",
        "from": "core.fct_ranking",
        "unit_column": "unit_code",
        "date_column": "index_period_end",
        "numerator": "max(rank)",
        "denominator": "count(*)",
        "definition": "x",
        "reference": "x",
        "drilldown": {"province": {"column": "province_code"}},
    }
    with pytest.raises(CatalogueError, match="entry R9: drill-downs split a percentage"):
        parse_indicator(entry)
    entry.update(unit="percent", factor=100, drilldown={"x": {"col": "a"}})
    with pytest.raises(CatalogueError, match="drilldown.x"):
        parse_indicator(entry)
    entry.update(drilldown={"Not a name": {"column": "a"}})
    with pytest.raises(CatalogueError, match="drilldown"):
        parse_indicator(entry)


def test_every_drilldown_adds_up_to_its_headline_for_every_period_and_unit(small_warehouse):
    con = duckdb.connect(str(small_warehouse), read_only=True)
    try:
        expected = {
            (i.id, d.dimension) for i in load_catalogue(CATALOGUE_FILES) for d in i.dimensions
        }
        present = set(
            con.execute(
                "select distinct indicator_id, dimension from mart.indicator_drilldown"
            ).fetchall()
        )
        assert present == expected
        # every headline row of a drilled indicator (province and districts, every period, empty ones
        # included) against the sum over the members of each of its dimensions
        mismatches = con.execute(
            """with dims as (select distinct indicator_id, dimension from mart.indicator_drilldown
                          where additive),
                    sums as (
                        select indicator_id, dimension, period_type, period_end, admin_code,
                               sum(numerator) as n, sum(denominator) as d, sum(gap_pp) as gap_pp
                        from mart.indicator_drilldown group by all)
               select v.indicator_id, x.dimension, v.period_label, v.admin_code,
                      v.numerator, v.denominator, s.n, s.d, v.value - v.target, s.gap_pp
               from mart.indicator_value as v
               join dims as x on x.indicator_id = v.indicator_id
               left join sums as s on s.indicator_id = v.indicator_id and s.dimension = x.dimension
                   and s.period_type = v.period_type and s.period_end = v.period_end
                   and s.admin_code = v.admin_code
               where v.admin_level in ('province', 'district') and v.geo_view = 'as_it_was'
                 and (coalesce(s.n, 0) <> v.numerator or coalesce(s.d, 0) <> v.denominator
                      or (v.denominator > 0 and abs(s.gap_pp - (v.value - v.target)) > 1e-6))"""
        ).fetchall()
        assert mismatches == [], mismatches[:6]
        # T12 by operator overlaps: each operator's own reach over the unit's households; the
        # addresses only one operator serves plus those several serve are the unit's numerator
        overlap = con.execute(
            """select count(*), count(*) filter (where d.denominator = v.denominator
                                                 and d.numerator <= v.numerator),
                      bool_and(not d.additive)
               from mart.drilldown_operator as d
               join mart.indicator_value as v using (indicator_id, period_type, period_end, admin_code)"""
        ).fetchall()[0]
        assert overlap[0] > 0 and overlap[0] == overlap[1] and overlap[2]
        t04_periods = con.execute(
            """select count(distinct period_type || period_label) from mart.drilldown_procedure
               where indicator_id = 'T04' and admin_level = 'province'"""
        ).fetchone()[0]
        assert t04_periods >= 12 + 4 + 1 + 12 - 2  # months, quarters, year, ytd (the data's months)
    finally:
        con.close()


def test_values_carry_parent_validity_display_value_and_plain_reasons(small_warehouse):
    con = duckdb.connect(str(small_warehouse), read_only=True)
    try:
        rank = con.execute(
            """select status, status_reason from mart.indicator_value
               where indicator_id = 'R01' and status = 'no_data' limit 1"""
        ).fetchall()
        commune = con.execute(
            """select parent_code, parent_name, unit_valid_from, unit_valid_to, value, display_value
               from mart.indicator_value where indicator_id = 'T02' and admin_code = '31318'
                 and period_type = 'year' and value is not null"""
        ).fetchall()
    finally:
        con.close()
    assert rank == [("no_data", "no published DTI rankings in this unit and period")]
    (parent, parent_name, valid_from, valid_to, value, shown) = commune[0]
    assert (parent, parent_name) == ("930", "Thành phố Vị Thanh")
    assert str(valid_to) == "2025-06-30" and valid_from is not None
    assert shown == round(value, 1)
