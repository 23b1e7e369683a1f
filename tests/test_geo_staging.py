"""Staging resolves unit and agency codes by code *and* the record's date (issue 7)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
from conftest import stage_landing

from sources.dvc.simulator import simulate
from transforms.staging.rules import apply_rules, code_not_valid_at_date
from warehouse.reference.regenerate import HERE as REFERENCE

MARCH, AUGUST = date(2025, 3, 10), date(2025, 8, 14)


def _units() -> pl.DataFrame:
    return pl.read_csv(REFERENCE / "admin_units.csv", infer_schema=False).select(
        "unit_code", "valid_from", "valid_to"
    )


def test_the_rule_names_the_code_the_date_and_the_validity() -> None:
    frame = pl.DataFrame(
        {
            "code": ["930", "31321", "31321", "31318", "99999", None],
            "_day": [AUGUST, MARCH, AUGUST, AUGUST, AUGUST, AUGUST],
            "_file_id": ["f"] * 6,
            "_row": list(range(1, 7)),
        }
    )
    rule = code_not_valid_at_date("code", pl.col("_day"), _units(), "unit")
    good, quarantine = apply_rules(frame, [rule], ["code"])
    assert good["_row"].to_list() == [2, 3, 5, 6]  # unknown or empty codes: other rules' job
    assert quarantine.select("_row", "rule", "reason").rows() == [
        (
            1,
            "code_not_valid_at_date",
            "unit code 930 is not valid on 2025-08-14 (valid 2004-01-01 to 2025-06-30)",
        ),
        (
            4,
            "code_not_valid_at_date",
            "unit code 31318 is not valid on 2025-08-14 (valid 2004-01-01 to 2025-06-30)",
        ),
    ]


def _edit(path: Path, day: date, edits: dict[int, dict]) -> list[str]:
    """Change fields of some of the dossiers filed on ``day`` in that day's file (the i-th of
    them); return their dossier ids."""
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    filed = [r for r in records if r["NgayNopHoSo"].startswith(f"{day:%Y%m%d}")]
    for i, fields in edits.items():
        filed[i].update(fields)
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return [filed[i]["MaHoSo"] for i in edits]


def test_a_file_of_august_2025_is_read_in_the_units_of_august(tmp_path) -> None:
    landing = tmp_path / "landing"
    for day in (MARCH, AUGUST):
        simulate(landing, day, day, scale=0.03, seed=190)
    hoso = landing / "dvc" / "hoso" / "2025"
    (march_id,) = _edit(hoso / f"hoso_{MARCH:%Y%m%d}.jsonl", MARCH, {0: {"MaXaChuHoSo": "31321"}})
    district, old_commune, august_id = _edit(
        hoso / f"hoso_{AUGUST:%Y%m%d}.jsonl",
        AUGUST,
        {
            0: {"DonViXuLy": "000.00.930.H93"},  # a district's People's Committee, gone in July
            1: {"MaXaChuHoSo": "31318"},  # Phường I, merged into Phường Vị Thanh
            2: {"MaXaChuHoSo": "31321"},  # Phường Vị Thanh (Phường III's code, reused)
        },
    )
    con, _ = stage_landing(tmp_path, "dvc", landing)
    reasons = dict(
        con.execute(
            "select json_extract_string(record, '$.MaHoSo'), reason from audit.quarantine "
            "where rule = 'code_not_valid_at_date'"
        ).fetchall()
    )
    assert reasons == {
        district: "agency code 000.00.930.H93 is not valid on 2025-08-14 "
        "(valid 2004-01-01 to 2025-06-30)",
        old_commune: "unit code 31318 is not valid on 2025-08-14 (valid 2004-01-01 to 2025-06-30)",
    }
    # a code valid in both periods: staging keeps it with the record's date; by both it is
    # the old unit in March and the new one in August
    resolved = dict(
        con.execute(
            """select d.dossier_id, u.name_vi from stg.dvc_dossier as d
               join ref.admin_unit as u on u.unit_code = d.applicant_unit_code
                and cast(d.submitted_at as date) between cast(u.valid_from as date)
                and coalesce(cast(nullif(u.valid_to, '') as date), date '9999-12-31')
               where d.dossier_id in (?, ?)""",
            [march_id, august_id],
        ).fetchall()
    )
    assert resolved == {march_id: "Phường III", august_id: "Phường Vị Thanh"}
    # the simulator's own records of both days pass the date check
    assert con.execute(
        "select count(*) from audit.quarantine where rule = 'code_not_valid_at_date'"
    ).fetchone() == (2,)
    con.close()


def _validity(table: str, key: str) -> pl.DataFrame:
    return pl.read_csv(REFERENCE / table, infer_schema=False).select(key, "valid_from", "valid_to")


def test_docs_reports_across_the_change_name_the_agencies_of_the_opening_day(tmp_path) -> None:
    from sources.docs import constants as c
    from sources.docs.simulator import simulate

    landing = tmp_path / "landing"
    simulate(landing, date(2025, 7, 1), date(2025, 9, 30), scale=0.02, seed=7)
    con, summary = stage_landing(tmp_path, "docs", landing)
    assert summary.files == 3 and summary.files_failed == 0
    assert con.execute(
        "select count(*) from audit.quarantine where rule = 'code_not_valid_at_date'"
    ).fetchone() == (0,)
    levels = dict(
        con.execute(
            """select a.agency_level || ':' || right(w.agency_code, 3), count(*)
               from stg.docs_work_file as w join ref.agency as a using (agency_code)
               where w.opened_date >= date '2025-07-01' group by 1"""
        ).fetchall()
    )
    assert set(levels) == {"province:H92", "commune:H92"}  # no district from July
    con.close()
    # an August report naming a district's People's Committee: quarantined, by the date rule
    from transforms.staging.stg_docs import stage_work_files

    path = next((landing / "docs").rglob("hscv_202508_*.csv"))
    raw = pl.read_csv(path, infer_schema=False).with_columns(
        pl.lit("f").alias("_file_id"),
        pl.int_range(1, pl.len() + 1).alias("_row"),
        pl.lit(date(2025, 9, 3)).alias("_file_date"),
    )
    row, opened = (
        raw.filter(pl.col(c.OPENED).str.ends_with("/08/2025")).select("_row", c.OPENED).row(0)
    )
    raw = raw.with_columns(
        pl.when(pl.col("_row") == row)
        .then(pl.lit("000.00.930.H93"))
        .otherwise(pl.col(c.AGENCY))
        .alias(c.AGENCY)
    )
    agencies = _validity("agencies.csv", "agency_code")
    _, quarantine = stage_work_files(raw, b"k", agencies["agency_code"], agencies)
    dated = quarantine.filter(pl.col("rule") == "code_not_valid_at_date")
    day = date(int(opened[6:]), int(opened[3:5]), int(opened[:2]))
    assert dated.select("_row", "reason").rows() == [
        (row, f"agency code 000.00.930.H93 is not valid on {day} (valid 2004-01-01 to 2025-06-30)")
    ]


def test_ict_inventory_of_september_2025_names_the_owners_of_september(tmp_path) -> None:
    from sources.ict.simulator import simulate

    landing = tmp_path / "landing"
    simulate(landing, date(2025, 7, 1), date(2025, 10, 31), scale=0.3, seed=7)
    con, summary = stage_landing(tmp_path, "ict", landing)
    assert summary.files == 2 and summary.files_failed == 0
    assert con.execute(
        "select count(*) from audit.quarantine where rule = 'code_not_valid_at_date'"
    ).fetchone() == (0,)
    owners = dict(
        con.execute(
            """select inventory_as_of, list(distinct right(owner_agency_code, 3))
               from stg.ict_system group by 1"""
        ).fetchall()
    )
    assert owners == {date(2025, 6, 30): ["H93"], date(2025, 9, 30): ["H92"]}
    con.close()


ACROSS = (date(2025, 5, 1), date(2025, 10, 31))


def _staged_across(tmp_path: Path, source: str, scale: float = 0.02):
    """``source`` simulated from May to October 2025 and staged: (connection, summary)."""
    from sources.simulate import simulator

    landing = tmp_path / "landing"
    simulator(f"sources.{source}.simulator")(landing, *ACROSS, scale=scale, seed=7)
    con, summary = stage_landing(tmp_path, source, landing)
    assert summary.files_failed == 0
    assert con.execute(
        "select count(*) from audit.quarantine where rule = 'code_not_valid_at_date'"
    ).fetchone() == (0,)
    return con, summary


def _codes_by_half(con, sql: str) -> dict[bool, set[str]]:
    """Codes of the rows before (False) and from (True) 1/7/2025, by a query of (day, code)."""
    out: dict[bool, set[str]] = {False: set(), True: set()}
    for day, code in con.execute(sql).fetchall():
        out[day >= date(2025, 7, 1)].add(code)
    return out


def _old_communes() -> set[str]:
    units = pl.read_csv(REFERENCE / "admin_units.csv", infer_schema=False)
    return set(
        units.filter((pl.col("valid_to") == "2025-06-30") & (pl.col("admin_level") == "commune"))[
            "unit_code"
        ]
    )


def _new_units() -> set[str]:
    units = pl.read_csv(REFERENCE / "admin_units.csv", infer_schema=False)
    return set(units.filter(pl.col("valid_from") == "2025-07-01")["unit_code"])


def test_tax_registers_from_july_carry_the_new_units(tmp_path) -> None:
    con, _ = _staged_across(tmp_path, "tax")
    halves = _codes_by_half(con, "select snapshot_date, unit_code from stg.tax_retail_store")
    assert halves[False] <= _old_communes() and halves[True] <= _new_units()
    # the 28 new units reuse old codes: no other old code from July
    assert len(halves[True]) <= 28 and len(halves[False]) > 28
    con.close()


def test_telecom_reports_from_july_carry_the_new_units(tmp_path) -> None:
    con, _ = _staged_across(tmp_path, "telecom")
    halves = _codes_by_half(con, "select as_of, unit_code from stg.telecom_fibre_address")
    assert halves[False] <= _old_communes() and halves[True] <= _new_units()
    assert len(halves[True]) == 28
    con.close()


def test_enterprise_survey_closed_in_december_2025_carries_the_new_units(tmp_path) -> None:
    from sources.enterprise.simulator import simulate

    landing = tmp_path / "landing"
    simulate(landing, date(2024, 1, 1), date(2025, 12, 31), scale=0.05, seed=7)
    con, _ = stage_landing(tmp_path, "enterprise", landing)
    assert con.execute(
        "select count(*) from audit.quarantine where rule = 'code_not_valid_at_date'"
    ).fetchone() == (0,)
    halves = _codes_by_half(con, "select _file_date, unit_code from stg.enterprise_survey")
    assert halves[False] <= _old_communes() and len(halves[False]) > 28
    assert halves[True] <= _new_units() and len(halves[True]) <= 28
    con.close()


def test_population_extracts_from_september_2025_count_the_new_units(tmp_path) -> None:
    con, _ = _staged_across(tmp_path, "population", scale=1.0)
    halves = _codes_by_half(con, "select snapshot_date, unit_code from stg.population_age_band")
    assert halves[False] <= _old_communes() and len(halves[False]) == 75
    assert halves[True] <= _new_units() and len(halves[True]) == 28
    rules = dict(con.execute("select rule, count(*) from audit.quarantine group by 1").fetchall())
    assert "absurd_count" not in rules
    # the same people on both sides: the province's residents within the register's growth
    totals = dict(
        con.execute(
            "select snapshot_date, sum(residents) from stg.population_age_band group by 1"
        ).fetchall()
    )
    june, september = totals[date(2025, 6, 30)], totals[date(2025, 9, 30)]
    assert 1.0 <= september / june < 1.01
    con.close()


def test_health_lists_from_july_place_facilities_in_the_new_units(tmp_path) -> None:
    con, _ = _staged_across(tmp_path, "health")
    halves = _codes_by_half(con, "select snapshot_date, unit_code from stg.health_facility")
    assert halves[False] <= _old_communes() and len(halves[False]) == 75
    assert halves[True] <= _new_units() and len(halves[True]) == 28
    con.close()


def test_education_reports_from_july_place_institutions_in_the_new_units(tmp_path) -> None:
    con, _ = _staged_across(tmp_path, "education")
    halves = _codes_by_half(con, "select _file_date, unit_code from stg.education_institution")
    assert halves[False] <= _old_communes() and len(halves[False]) == 75
    assert halves[True] <= _new_units() and len(halves[True]) == 28
    con.close()


def test_certificate_reports_from_july_name_the_residence_in_the_new_units(tmp_path) -> None:
    con, _ = _staged_across(tmp_path, "certificates")
    halves = _codes_by_half(
        con, "select _file_date, unit_code from stg.certificates_certificate where unit_code <> ''"
    )
    assert halves[False] <= _old_communes() and len(halves[False]) > 28
    assert halves[True] <= _new_units() and 0 < len(halves[True]) <= 28
    con.close()


def test_household_counts_are_restated_in_the_new_units_on_the_change_day(tmp_path) -> None:
    from sources.telecom.simulator import household_file

    old = household_file(2025, 1.0, date(2025, 1, 15))
    new = household_file(2025, 1.0, date(2025, 7, 1))
    assert old.height == 75 and new.height == 28
    assert set(new["MaXa"]) <= _new_units()
    total = pl.col("SoHoGiaDinh").cast(pl.Int64).sum()
    assert old.select(total).item() == new.select(total).item()
