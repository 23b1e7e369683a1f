"""The committed reference geography: two periods of units, the official crosswalk, agencies."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from warehouse.reference.regenerate import HERE, check, old_to_new

SHARED = Path(__file__).resolve().parents[2] / "shared" / "plan-190" / "geography"


def _rows(name: str) -> list[dict]:
    with (HERE / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_a_code_is_two_units_in_two_periods():
    units = [u for u in _rows("admin_units.csv") if u["unit_code"] == "31321"]
    assert [(u["name_vi"], u["valid_from"], u["valid_to"]) for u in units] == [
        ("Phường III", "2004-01-01", "2025-06-30"),
        ("Phường Vị Thanh", "2025-07-01", ""),
    ]


def test_75_old_units_go_wholly_into_28_new_units_of_the_plan_area():
    units = _rows("admin_units.csv")
    crosswalk = _rows("crosswalk_2025.csv")
    old = {u["unit_code"] for u in units if u["admin_level"] == "commune" and u["valid_to"]}
    new_area = {
        u["unit_code"]
        for u in units
        if u["province_code"] == "92" and u["admin_level"] == "commune"
        if u["plan_area_code"] == "93"
    }
    assert {r["old_code"] for r in crosswalk} == old and len(old) == 75
    assert {r["new_code"] for r in crosswalk} == new_area and len(new_area) == 28
    assert {r["gov_note"] for r in crosswalk} == {"Nhập toàn bộ"}
    assert not [u for u in units if u["valid_from"] >= "2025-07-01" and u["district_code"]]
    spanning = {
        code
        for code in new_area
        if len({r["old_district_code"] for r in crosswalk if r["new_code"] == code}) > 1
    }
    assert spanning == {"31369", "31453"}
    # names mislead: old Xã Đông Phước goes to Xã Phú Hữu, not to the new Xã Đông Phước
    assert next(r for r in crosswalk if r["old_code"] == "31384")["new_code"] == "31378"


def test_agencies_are_never_reused_and_each_names_a_unit_valid_with_it():
    agencies = _rows("agencies.csv")
    units = _rows("admin_units.csv")
    codes = [a["agency_code"] for a in agencies]
    assert len(codes) == len(set(codes))
    for a in agencies:
        assert any(
            u["unit_code"] == a["unit_code"] and u["valid_from"] <= a["valid_from"]
            for u in units
            if (u["valid_to"] or "9999-12-31") >= (a["valid_to"] or "9999-12-31")
        ), a


def test_the_conversion_table_is_read_as_data_not_run():
    source = """
from typing import NamedTuple
OLD_TO_NEW: dict[int, OldToNewEntry] = {
    31318: OldToNewEntry(OldWardRef(31318, 930, 93, False), (NewWardRef(31321, 92),)),
}
__import__("os").system("exit 1")
"""
    assert old_to_new(source) == {31318: ((31318, 930, 93, False), ((31321, 92),))}


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared copy of the official table is absent")
def test_the_committed_crosswalk_equals_the_shared_copy_of_the_official_table():
    assert check(_rows("crosswalk_2025.csv"), _rows("admin_units.csv"), SHARED) == []
