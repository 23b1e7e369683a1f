"""The simulators' date-aware geography: the same world, the labels of the record's date."""

from __future__ import annotations

from datetime import date

import pytest

from sources import geo

MARCH, AUGUST = date(2025, 3, 10), date(2025, 8, 10)


def test_units_valid_on_a_day() -> None:
    before, after = geo.units(MARCH), geo.units(AUGUST)
    assert [u["unit_code"] for u in before if u["admin_level"] == "province"] == ["93"]
    assert [u["unit_code"] for u in after if u["admin_level"] == "province"] == ["92"]
    assert sum(u["admin_level"] == "commune" for u in before) == 75
    assert sum(u["admin_level"] == "commune" for u in after) == 103
    assert not any(u["admin_level"] == "district" for u in after)
    assert len(geo.units()) == len(before) + len(after)


def test_the_world_stays_the_75_old_communes() -> None:
    communes = geo.communes()
    assert len(communes) == 75
    assert {cm.district_code for cm in communes} == {str(d) for d in range(930, 938)}


def test_commune_codes_follow_the_crosswalk_from_july() -> None:
    assert geo.unit_code_on("31318", MARCH) == "31318"  # Phường I
    assert geo.unit_code_on("31318", AUGUST) == "31321"  # into Phường Vị Thanh
    assert geo.unit_code_on("31321", geo.LAST_OLD_DAY) == "31321"
    assert geo.province_code_on(geo.LAST_OLD_DAY) == "93"
    assert geo.province_code_on(geo.CHANGE_DATE) == "92"
    assert geo.district_code_on("930", MARCH) == "930"
    assert geo.district_code_on("930", AUGUST) == ""
    new = {u["unit_code"] for u in geo.units(AUGUST)}
    assert {geo.new_code(cm.code) for cm in geo.communes()} <= new
    assert len({geo.new_code(cm.code) for cm in geo.communes()}) == 28


def test_agencies_are_their_successors_from_july() -> None:
    assert geo.agency_on("000.04.00.H93", MARCH) == "000.04.00.H93"
    assert geo.agency_on("000.03.00.H93", AUGUST) == "000.03.00.H92"  # KH&ĐT -> Tài chính
    assert geo.agency_on("000.04.00.H93", AUGUST) == "000.03.00.H92"  # Tài chính
    assert geo.agency_on("000.10.00.H93", AUGUST) == "000.07.00.H92"  # TT&TT -> KH&CN
    assert geo.agency_on("000.20.00.H93", AUGUST) == "000.15.00.H92"  # Công an
    assert geo.agency_on("31318.00.930.H93", AUGUST) == "31321.00.00.H92"
    # a district's People's Committee: the applicant's new unit's
    assert geo.agency_on("000.00.930.H93", AUGUST, applicant_commune="31324") == "31333.00.00.H92"
    with pytest.raises(ValueError):
        geo.agency_on("000.00.930.H93", AUGUST)
    valid = {a["agency_code"] for a in geo.agencies(AUGUST)}
    for a in geo.agencies(MARCH):
        if a["agency_level"] != "district":
            assert geo.agency_on(a["agency_code"], AUGUST) in valid


def test_the_other_units_of_the_city() -> None:
    outside = geo.city_units_outside_area()
    assert len(outside) == 75
    assert not set(outside) & {geo.new_code(cm.code) for cm in geo.communes()}
