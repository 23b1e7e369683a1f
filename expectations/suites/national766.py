"""Rules for the national portal's 766 figures and for the reconciliation with ours."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from expectations.suites import CRITICAL, WARNING, E, Suite, Thresholds, ThresholdSet


class National766Thresholds(Thresholds):
    """expectations/thresholds/national766.yml, section national766 (the values are there)."""

    section: ClassVar[str] = "national766"
    reconciliation_tolerance: float = Field(ge=0)


def suites(t: ThresholdSet) -> list[Suite]:
    tolerance = t[National766Thresholds].reconciliation_tolerance
    return [
        Suite(
            "fct_portal_metric",
            "core.fct_portal_metric",
            [
                E.ExpectCompoundColumnsToBeUnique(
                    column_list=["province_code", "time_type", "period_start", "metric_code"],
                    severity=CRITICAL,
                ),
                E.ExpectColumnValuesToNotBeNull(column="period_start", severity=CRITICAL),
                E.ExpectColumnValuesToBeBetween(
                    column="ratio",
                    min_value=0,
                    max_value=100,
                    mostly=0.99,
                    severity=WARNING,
                    description="published ratios are percentages",
                ),
            ],
        ),
        Suite(
            "reconciliation_national766",
            "mart.reconciliation",  # a mart: checked after the marts are built (flows/nightly.py)
            [
                E.ExpectColumnValuesToNotBeInSet(
                    column="status",
                    value_set=["differs"],
                    severity=WARNING,
                    description="our 766 figures agree with the national portal's within "
                    f"{tolerance} points "
                    "(mart.reconciliation.reason says why not)",
                ),
            ],
        ),
    ]
