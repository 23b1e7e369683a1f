"""Rules for the enterprise survey's staging and fact tables (T08–T09)."""

from __future__ import annotations

from typing import ClassVar

from expectations.suites import CRITICAL, WARNING, Count, E, Share, Suite, Thresholds, ThresholdSet
from sources.enterprise import constants as c

HASH = r"^[0-9a-f]{64}$"


class EnterpriseThresholds(Thresholds):
    """expectations/thresholds/enterprise.yml, section enterprise (the values are there)."""

    section: ClassVar[str] = "enterprise"
    e_contract_answered_mostly: Share
    min_survey_rows: Count


def suites(t: ThresholdSet) -> list[Suite]:
    ent = t[EnterpriseThresholds]
    return [
        Suite(
            "stg_enterprise_survey",
            "stg.enterprise_survey",
            [
                E.ExpectColumnValuesToNotBeNull(column="tax_code_hash", severity=CRITICAL),
                E.ExpectColumnValuesToMatchRegex(
                    column="tax_code_hash",
                    regex=HASH,
                    severity=CRITICAL,
                    description="tax codes are keyed hashes, never in clear",
                ),
                E.ExpectColumnValuesToNotBeNull(column="unit_code", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="survey_year", severity=CRITICAL),
                E.ExpectColumnValuesToBeInSet(
                    column="size_class", value_set=list(c.SIZE_CLASS.values()), severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeInSet(
                    column="sector_section", value_set=list(c.SECTIONS), severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeInSet(
                    column="status", value_set=list(c.STATUS.values()), severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeUnique(
                    column="_row_hash", severity=CRITICAL, description="no row is staged twice"
                ),
            ],
        ),
        Suite(
            "fct_enterprise_survey",
            "core.fct_enterprise_survey",
            [
                E.ExpectCompoundColumnsToBeUnique(
                    column_list=["survey_year", "tax_code_hash"],
                    severity=CRITICAL,
                    description="an enterprise counts once a year",
                ),
                E.ExpectColumnValuesToNotBeNull(column="unit_code", severity=CRITICAL),
                E.ExpectTableRowCountToBeBetween(min_value=1, severity=CRITICAL),
                E.ExpectColumnValuesToBeBetween(
                    column="employees", min_value=0, max_value=c.MAX_EMPLOYEES, severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeBetween(
                    column="survey_year", min_value=2000, max_value=2100, severity=CRITICAL
                ),
                E.ExpectColumnValuesToNotBeNull(
                    column="uses_e_contract",
                    mostly=ent.e_contract_answered_mostly,
                    severity=WARNING,
                    description="most enterprises answer the e-contract question",
                ),
                E.ExpectTableRowCountToBeBetween(
                    min_value=ent.min_survey_rows,
                    severity=WARNING,
                    description="the survey reaches the province's enterprises",
                ),
            ],
        ),
    ]
