"""Rules for the health sector's facility list and T15's table."""

from __future__ import annotations

from typing import ClassVar

from expectations.suites import CRITICAL, Count, E, Suite, Thresholds, ThresholdSet
from sources.health import constants as c


class HealthThresholds(Thresholds):
    """expectations/thresholds/health.yml, section health (the values are there)."""

    section: ClassVar[str] = "health"
    facilities_min: Count


def suites(t: ThresholdSet) -> list[Suite]:
    health = t[HealthThresholds]
    return [
        Suite(
            "stg_health_facility",
            "stg.health_facility",
            [
                E.ExpectColumnValuesToNotBeNull(column="facility_code", severity=CRITICAL),
                E.ExpectColumnValuesToMatchRegex(
                    column="facility_code", regex=c.FACILITY_CODE, severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeInSet(
                    column="facility_type",
                    value_set=list(c.FACILITY_TYPE.values()),
                    severity=CRITICAL,
                ),
                E.ExpectColumnValuesToBeInSet(
                    column="ownership", value_set=list(c.OWNERSHIP.values()), severity=CRITICAL
                ),
                E.ExpectColumnValuesToNotBeNull(column="unit_code", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="snapshot_date", severity=CRITICAL),
                E.ExpectColumnValuesToBeUnique(column="_row_hash", severity=CRITICAL),
            ],
        ),
        Suite(
            "fct_health_facility",
            "core.fct_health_facility",
            [
                E.ExpectCompoundColumnsToBeUnique(
                    column_list=["facility_code", "snapshot_date"], severity=CRITICAL
                ),
                E.ExpectColumnValuesToNotBeNull(column="valid_from", severity=CRITICAL),
                E.ExpectTableRowCountToBeBetween(
                    min_value=health.facilities_min, severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeInSet(
                    column="facility_type",
                    value_set=list(c.FACILITY_TYPE.values()),
                    severity=CRITICAL,
                ),
            ],
        ),
    ]
