"""Rules for the statistics office's GRDP / digital-economy tables (T07).

No check requires rows: before the first release the tables are empty and
that is not a failure (T07 then shows "no data").
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from expectations.suites import CRITICAL, WARNING, E, Share, Suite, Thresholds, ThresholdSet

Amount = Annotated[int | float, Field(ge=0)]  # as written in the YAML
MEASURES = ["grdp", "digital_economy", "digital_core", "digital_sectors", "digital_share"]


def _staging(name: str, table: str, t: StatsThresholds) -> Suite:
    return Suite(
        name,
        table,
        [
            E.ExpectColumnValuesToNotBeNull(
                column="unit_code",
                severity=CRITICAL,
                description="every value belongs to a known province",
            ),
            E.ExpectColumnValuesToBeInSet(column="measure", value_set=MEASURES, severity=CRITICAL),
            E.ExpectColumnValuesToBeInSet(
                column="period_type", value_set=["quarter", "year"], severity=CRITICAL
            ),
            E.ExpectColumnValuesToBeInSet(
                column="unit", value_set=["billion_vnd", "percent"], severity=CRITICAL
            ),
            E.ExpectColumnValuesToBeBetween(
                column="value",
                min_value=0,
                max_value=t.max_billion_vnd,
                severity=CRITICAL,
            ),
            E.ExpectColumnValuesToBeUnique(
                column="_row_hash", severity=CRITICAL, description="no cell is staged twice"
            ),
        ],
    )


class StatsThresholds(Thresholds):
    """expectations/thresholds/stats.yml, section stats (the values are there)."""

    section: ClassVar[str] = "stats"
    max_billion_vnd: Amount
    grdp_min: Amount
    grdp_max: Amount
    digital_mostly: Share
    share_gap_max: Amount
    parts_gap_max: Amount


def suites(t: ThresholdSet) -> list[Suite]:
    stats = t[StatsThresholds]
    return [
        _staging("stg_stats_grdp_quarterly", "stg.stats_grdp_quarterly", stats),
        _staging("stg_stats_grdp_yearly", "stg.stats_grdp_yearly", stats),
        Suite(
            "fct_grdp",
            "core.fct_grdp",
            [
                E.ExpectCompoundColumnsToBeUnique(
                    column_list=["unit_code", "stat_period_type", "stat_period_start"],
                    severity=CRITICAL,
                    description="one row per province and period",
                ),
                E.ExpectColumnValuesToBeInSet(
                    column="unit_code",
                    value_set=["93"],
                    severity=CRITICAL,
                    description="the office publishes the province only",
                ),
                E.ExpectColumnValuesToBeBetween(
                    column="digital_share",
                    min_value=0,
                    max_value=100,
                    severity=CRITICAL,
                    description="the digital economy is part of GRDP",
                ),
                E.ExpectColumnValuesToBeBetween(
                    column="grdp",
                    min_value=stats.grdp_min,
                    max_value=stats.grdp_max,
                    severity=WARNING,
                    description="a quarter's or year's GRDP at Hậu Giang's scale",
                ),
                E.ExpectColumnValuesToNotBeNull(
                    column="digital_economy_va",
                    mostly=stats.digital_mostly,
                    severity=WARNING,
                ),
                E.ExpectColumnValuesToBeBetween(
                    column="share_gap",
                    min_value=0,
                    max_value=stats.share_gap_max,
                    severity=WARNING,
                    description="the published share agrees with value added / GRDP",
                ),
                E.ExpectColumnValuesToBeBetween(
                    column="parts_gap",
                    min_value=0,
                    max_value=stats.parts_gap_max,
                    severity=WARNING,
                    description="core + other sectors = digital economy (rounding)",
                ),
            ],
        ),
    ]
