"""Rules for the information-systems inventory's staging and fact tables (T16–T17)."""

from __future__ import annotations

from typing import ClassVar

from expectations.suites import CRITICAL, WARNING, Count, E, Share, Suite, Thresholds, ThresholdSet

LEVELS = [1, 2, 3, 4, 5]


class IctThresholds(Thresholds):
    """expectations/thresholds/ict.yml, section ict (the values are there)."""

    section: ClassVar[str] = "ict"
    min_systems: Count
    max_systems: Count
    complete_approval_mostly: Share
    code_pattern: str


def suites(t: ThresholdSet) -> list[Suite]:
    ict = t[IctThresholds]
    return [
        Suite(
            "stg_ict_system",
            "stg.ict_system",
            [
                E.ExpectColumnValuesToNotBeNull(column="system_code", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="owner_agency_code", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="inventory_as_of", severity=CRITICAL),
                E.ExpectColumnValuesToBeInSet(
                    column="proposed_level", value_set=LEVELS, severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeInSet(
                    column="approved_level", value_set=LEVELS, severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeInSet(
                    column="plan_status", value_set=["full", "partial", "none"], severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeUnique(
                    column="_row_hash", severity=CRITICAL, description="no row is staged twice"
                ),
                E.ExpectCompoundColumnsToBeUnique(
                    column_list=["_file_id", "system_code"],
                    severity=CRITICAL,
                    description="one row per system in each inventory",
                ),
            ],
        ),
        Suite(
            "fct_information_system",
            "core.fct_information_system",
            [
                E.ExpectCompoundColumnsToBeUnique(  # one row per system and interval
                    column_list=["system_code", "valid_from"], severity=CRITICAL
                ),
                E.ExpectColumnValuesToNotBeNull(
                    column="unit_code",
                    severity=CRITICAL,
                    description="every system maps to its owner's unit",
                ),
                E.ExpectColumnValuesToBeInSet(
                    column="agency_level",
                    value_set=["province", "district", "commune"],
                    severity=CRITICAL,
                ),
                E.ExpectTableRowCountToBeBetween(
                    min_value=ict.min_systems,
                    max_value=ict.max_systems,
                    severity=CRITICAL,
                ),
                E.ExpectColumnValuesToBeInSet(
                    column="approval_incomplete",
                    value_set=[False],
                    mostly=ict.complete_approval_mostly,
                    severity=WARNING,
                    description="approved level and approval date come together; one without the other is dated "
                    "from the inventory",
                ),
                E.ExpectColumnValuesToMatchRegex(
                    column="system_code", regex=ict.code_pattern, severity=WARNING
                ),
            ],
        ),
    ]
