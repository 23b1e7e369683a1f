"""Rules for the ministry's ranking tables (R01–R02).

No check requires rows: before the first table the tables are empty and that
is not a failure (R01–R02 then show "no data").
"""

from __future__ import annotations

from typing import ClassVar

from expectations.suites import CRITICAL, WARNING, Count, E, Suite, Thresholds, ThresholdSet

N_PROVINCES = 63


def _staging(name: str, table: str) -> Suite:
    return Suite(
        name,
        table,
        [
            E.ExpectColumnValuesToNotBeNull(column="province_code", severity=CRITICAL),
            E.ExpectColumnValuesToMatchRegex(
                column="province_code", regex=r"^[0-9]{2}$", severity=CRITICAL
            ),
            E.ExpectColumnValuesToBeBetween(
                column="rank", min_value=1, max_value=N_PROVINCES, severity=CRITICAL
            ),
            E.ExpectColumnValuesToBeBetween(
                column="score", min_value=0, max_value=1, severity=CRITICAL
            ),
            E.ExpectColumnValuesToBeUnique(
                column="_row_hash", severity=CRITICAL, description="no row is staged twice"
            ),
        ],
    )


class RankingsThresholds(Thresholds):
    """expectations/thresholds/rankings.yml, section rankings (the values are there)."""

    section: ClassVar[str] = "rankings"
    provinces_min: Count
    rank_change_max: Count


def suites(t: ThresholdSet) -> list[Suite]:
    rankings = t[RankingsThresholds]
    return [
        _staging("stg_rankings_dti", "stg.rankings_dti"),
        _staging("stg_rankings_ict", "stg.rankings_ict"),
        Suite(
            "fct_ranking",
            "core.fct_ranking",
            [
                E.ExpectCompoundColumnsToBeUnique(
                    column_list=["index_code", "index_year", "province_code"],
                    severity=CRITICAL,
                    description="one rank per index, year and province",
                ),
                E.ExpectColumnValuesToBeInSet(
                    column="index_code", value_set=["DTI", "ICT"], severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeBetween(
                    column="rank", min_value=1, max_value=N_PROVINCES, severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeInSet(
                    column="unit_code",
                    value_set=["93"],
                    severity=CRITICAL,
                    description="only Hậu Giang maps to a unit; other provinces stay null",
                ),
                E.ExpectColumnValuesToBeBetween(
                    column="previous_rank", min_value=1, max_value=N_PROVINCES, severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeBetween(
                    column="n_ranked",
                    min_value=rankings.provinces_min,
                    max_value=N_PROVINCES,
                    severity=WARNING,
                    description="a year's table ranks every province",
                ),
                E.ExpectColumnValuesToBeBetween(
                    column="rank_change",
                    min_value=-rankings.rank_change_max,
                    max_value=rankings.rank_change_max,
                    severity=WARNING,
                    description="a jump of more than this many places deserves a look",
                ),
            ],
        ),
    ]
