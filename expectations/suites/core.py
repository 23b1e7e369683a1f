"""Rules for the shared dimensions every indicator reads."""

from __future__ import annotations

from typing import ClassVar

from expectations.suites import CRITICAL, Count, E, Share, Suite, Thresholds, ThresholdSet


class GeographyThresholds(Thresholds):
    """expectations/thresholds/core.yml, section geography (the values are there)."""

    section: ClassVar[str] = "geography"
    units: Count


class RunThresholds(Thresholds):
    """expectations/thresholds/core.yml, section run: when a run that published still ends Failed
    with "attention:" (flows/nightly.py) — more unreadable files than ``max_unreadable_files``,
    or a source whose quarantined rows exceed ``max_quarantined_share`` of the rows it read."""

    section: ClassVar[str] = "run"
    max_unreadable_files: Count
    max_quarantined_share: Share


def suites(t: ThresholdSet) -> list[Suite]:
    geo = t[GeographyThresholds]
    return [
        Suite(
            "dim_unit",
            "core.dim_unit",
            [
                # a unit is a code and its validity: codes are reused (28 from 1/7/2025)
                E.ExpectCompoundColumnsToBeUnique(
                    column_list=["unit_code", "valid_from"], severity=CRITICAL
                ),
                E.ExpectColumnValuesToNotBeNull(column="valid_from", severity=CRITICAL),
                E.ExpectTableRowCountToBeBetween(
                    min_value=geo.units,
                    max_value=geo.units,
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
