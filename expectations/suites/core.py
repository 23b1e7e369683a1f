"""Rules for the shared dimensions every indicator reads."""

from __future__ import annotations

import great_expectations as gx
from great_expectations.expectations.metadata_types import FailureSeverity

from expectations.suites import Suite

E = gx.expectations
CRITICAL, WARNING = FailureSeverity.CRITICAL, FailureSeverity.WARNING


def suites(t: dict) -> list[Suite]:
    geo = t.get("geography", {})
    return [
        Suite(
            "dim_unit",
            "core.dim_unit",
            [
                E.ExpectColumnValuesToBeUnique(column="unit_code", severity=CRITICAL),
                E.ExpectTableRowCountToBeBetween(
                    min_value=geo.get("units", 84),
                    max_value=geo.get("units", 84),
                    severity=CRITICAL,
                ),
                E.ExpectColumnValuesToNotBeNull(column="province_code", severity=CRITICAL),
            ],
        ),
        Suite(
            "dim_agency",
            "core.dim_agency",
            [
                E.ExpectColumnValuesToBeUnique(column="agency_code", severity=CRITICAL),
                E.ExpectColumnValuesToBeInSet(
                    column="agency_level",
                    value_set=["province", "district", "commune"],
                    severity=CRITICAL,
                ),
            ],
        ),
    ]
