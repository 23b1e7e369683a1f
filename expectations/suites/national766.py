"""Rules for the national portal's 766 figures."""

from __future__ import annotations

import great_expectations as gx

E = gx.expectations


def suites(t: dict) -> dict:
    return {
        "fct_portal_metric": (
            "core.fct_portal_metric",
            [
                E.ExpectCompoundColumnsToBeUnique(
                    column_list=["province_code", "time_type", "period_start", "metric_code"],
                    severity="critical",
                ),
                E.ExpectColumnValuesToNotBeNull(column="period_start", severity="critical"),
                E.ExpectColumnValuesToBeBetween(
                    column="ratio",
                    min_value=0,
                    max_value=100,
                    mostly=0.99,
                    severity="warning",
                    description="published ratios are percentages",
                ),
            ],
        ),
    }
