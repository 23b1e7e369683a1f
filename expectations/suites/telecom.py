"""Rules for the operators' FTTH reports, the household counts and the coverage facts (T12)."""

from __future__ import annotations

from typing import ClassVar

from expectations.suites import CRITICAL, WARNING, Count, E, Share, Suite, Thresholds, ThresholdSet
from sources.telecom import constants as c

HASH = r"^[0-9a-f]{64}$"


class TelecomThresholds(Thresholds):
    """expectations/thresholds/telecom.yml, section telecom (the values are there)."""

    section: ClassVar[str] = "telecom"
    min_households_per_commune: Count
    communes_agree_mostly: Share


def suites(t: ThresholdSet) -> list[Suite]:
    tel = t[TelecomThresholds]
    return [
        Suite(
            "stg_telecom_fibre_address",
            "stg.telecom_fibre_address",
            [
                E.ExpectColumnValuesToNotBeNull(column="as_of", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="unit_code", severity=CRITICAL),
                E.ExpectColumnValuesToMatchRegex(
                    column="address_hash",
                    regex=HASH,
                    severity=CRITICAL,
                    description="address codes are keyed hashes",
                ),
                E.ExpectColumnValuesToBeInSet(
                    column="operator",
                    value_set=sorted(set(c.OPERATORS.values())),
                    severity=CRITICAL,
                ),
                E.ExpectColumnValuesToBeInSet(
                    column="technology", value_set=c.TECHNOLOGIES, severity=WARNING
                ),
                E.ExpectColumnValuesToBeUnique(
                    column="_row_hash", severity=CRITICAL, description="no row is staged twice"
                ),
            ],
        ),
        Suite(
            "stg_telecom_household",
            "stg.telecom_household",
            [
                E.ExpectColumnValuesToNotBeNull(column="households", severity=CRITICAL),
                E.ExpectColumnValuesToBeBetween(
                    column="households",
                    min_value=0,
                    max_value=c.MAX_HOUSEHOLDS_PER_COMMUNE,
                    severity=CRITICAL,
                ),
            ],
        ),
        Suite(
            "fct_commune_household",
            "core.fct_commune_household",
            [
                E.ExpectCompoundColumnsToBeUnique(
                    column_list=["year", "unit_code"], severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeBetween(
                    column="households",
                    min_value=tel.min_households_per_commune,
                    max_value=c.MAX_HOUSEHOLDS_PER_COMMUNE,
                    severity=WARNING,
                ),
                E.ExpectTableRowCountToBeBetween(
                    min_value=1,
                    severity=CRITICAL,
                    description="the denominator of T12 was delivered",
                ),
            ],
        ),
        Suite(
            "fct_fibre_address",
            "core.fct_fibre_address",
            [
                E.ExpectCompoundColumnsToBeUnique(
                    column_list=["as_of", "address_hash"],
                    severity=CRITICAL,
                    description="a household address counts once a quarter",
                ),
                E.ExpectColumnValuesToNotBeNull(column="unit_code", severity=CRITICAL),
                E.ExpectColumnValuesToBeInSet(
                    column="communes_disagree",
                    value_set=[False],
                    mostly=tel.communes_agree_mostly,
                    severity=WARNING,
                    description="operators agree on an address's commune",
                ),
            ],
        ),
        Suite(
            "fct_fibre_coverage",
            "core.fct_fibre_coverage",
            [
                E.ExpectCompoundColumnsToBeUnique(
                    column_list=["as_of", "unit_code"], severity=CRITICAL
                ),
                E.ExpectTableRowCountToBeBetween(min_value=1, severity=CRITICAL),
                E.ExpectColumnValuesToBeInSet(
                    column="fibre_exceeds_households",
                    value_set=[False],
                    severity=CRITICAL,
                    description="no commune has more fibre-ready households than households (stale or missing "
                    "household count, or addresses put in the wrong commune)",
                ),
                E.ExpectColumnValuesToNotBeNull(
                    column="households_year",
                    severity=CRITICAL,
                    description="every commune with fibre has a household count",
                ),
            ],
        ),
    ]
