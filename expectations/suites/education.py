"""Rules for the education sector database exports and the tables of T13 and T14."""

from __future__ import annotations

from typing import ClassVar

from expectations.suites import CRITICAL, WARNING, Count, E, Share, Suite, Thresholds, ThresholdSet
from sources.education import constants as c


class EducationThresholds(Thresholds):
    """expectations/thresholds/education.yml, section education (the values are there)."""

    section: ClassVar[str] = "education"
    institutions_min: Count
    learners_max: Count
    learners_mostly: Share


def suites(t: ThresholdSet) -> list[Suite]:
    edu = t[EducationThresholds]
    return [
        Suite(
            "stg_education_institution",
            "stg.education_institution",
            [
                E.ExpectColumnValuesToNotBeNull(column="institution_code", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="unit_code", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="school_year_end", severity=CRITICAL),
                E.ExpectColumnValuesToBeInSet(
                    column="level", value_set=list(c.LEVEL.values()), severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeInSet(
                    column="ownership", value_set=list(c.OWNERSHIP.values()), severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeUnique(column="_row_hash", severity=CRITICAL),
            ],
        ),
        Suite(
            "stg_education_enrolment",
            "stg.education_enrolment",
            [
                E.ExpectColumnValuesToNotBeNull(column="institution_code", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="enrolled", severity=CRITICAL),
                E.ExpectColumnValuesToBeBetween(
                    column="enrolled", min_value=0, max_value=c.MAX_LEARNERS, severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeUnique(column="_row_hash", severity=CRITICAL),
            ],
        ),
        Suite(
            "fct_edu_institution",
            "core.fct_edu_institution",
            [
                E.ExpectCompoundColumnsToBeUnique(
                    column_list=["institution_code", "school_year"], severity=CRITICAL
                ),
                E.ExpectColumnValuesToNotBeNull(column="unit_code", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="is_public", severity=CRITICAL),
                E.ExpectTableRowCountToBeBetween(min_value=edu.institutions_min, severity=CRITICAL),
            ],
        ),
        Suite(
            "fct_edu_enrolment",
            "core.fct_edu_enrolment",
            [
                E.ExpectCompoundColumnsToBeUnique(
                    column_list=["institution_code", "school_year"], severity=CRITICAL
                ),
                E.ExpectColumnValuesToNotBeNull(
                    column="unit_code",
                    severity=CRITICAL,
                    description="every institution's learners map to a commune",
                ),
                E.ExpectColumnValuesToNotBeNull(column="level", severity=CRITICAL),
                E.ExpectColumnValuesToBeBetween(
                    column="with_digital_record", min_value=0, severity=CRITICAL
                ),
                E.ExpectTableRowCountToBeBetween(min_value=1, severity=CRITICAL),
                E.ExpectColumnValuesToBeBetween(
                    column="enrolled",
                    min_value=1,
                    max_value=edu.learners_max,
                    mostly=edu.learners_mostly,
                    severity=WARNING,
                    description="institutions of a plausible size",
                ),
            ],
        ),
    ]
