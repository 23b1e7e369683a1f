"""Rules for the one-stop system's staging and fact tables (T01–T05)."""

from __future__ import annotations

from typing import ClassVar

from expectations.suites import CRITICAL, WARNING, E, Share, Suite, Thresholds, ThresholdSet

HASH = r"^[0-9a-f]{64}$"


class DvcThresholds(Thresholds):
    """expectations/thresholds/dvc.yml, section dvc (the values are there)."""

    section: ClassVar[str] = "dvc"
    received_at_mostly: Share
    due_at_mostly: Share


def suites(t: ThresholdSet) -> list[Suite]:
    dvc = t[DvcThresholds]
    return [
        Suite(
            "stg_dvc_dossier",
            "stg.dvc_dossier",
            [
                E.ExpectColumnValuesToNotBeNull(column="dossier_id", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="agency_code", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="submitted_at", severity=CRITICAL),
                E.ExpectColumnValuesToBeInSet(
                    column="channel", value_set=[1, 2, 3], severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeInSet(
                    column="status", value_set=list(range(1, 11)), severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeUnique(
                    column="_row_hash", severity=CRITICAL, description="no row is staged twice"
                ),
                E.ExpectColumnValuesToMatchRegex(
                    column="applicant_hash",
                    regex=HASH,
                    severity=CRITICAL,
                    description="applicant IDs are keyed hashes, never in clear",
                ),
            ],
        ),
        Suite(
            "stg_dvc_rating",
            "stg.dvc_rating",
            [
                E.ExpectColumnValuesToNotBeNull(column="dossier_id", severity=CRITICAL),
                E.ExpectColumnValuesToBeInSet(
                    column="satisfaction", value_set=[1, 2, 3, 4], severity=CRITICAL
                ),
            ],
        ),
        Suite(
            "fct_dossier",
            "core.fct_dossier",
            [
                E.ExpectColumnValuesToBeUnique(column="dossier_id", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(
                    column="unit_code",
                    severity=CRITICAL,
                    description="every dossier maps to a unit",
                ),
                E.ExpectTableRowCountToBeBetween(min_value=1, severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(
                    column="due_at", mostly=dvc.due_at_mostly, severity=WARNING
                ),
                E.ExpectColumnValuesToNotBeNull(
                    column="received_at",
                    mostly=dvc.received_at_mostly,
                    severity=WARNING,
                    description="most dossiers have been received (not new or refused)",
                ),
                E.ExpectColumnValuesToNotBeNull(column="status", severity=CRITICAL),
            ],
        ),
        Suite(
            "fct_provision",
            "core.fct_provision",
            [
                E.ExpectCompoundColumnsToBeUnique(  # one row per provision and interval
                    column_list=["agency_code", "procedure_code", "valid_from"], severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeInSet(
                    column="service_level", value_set=[2, 3, 4], severity=CRITICAL
                ),
                E.ExpectTableRowCountToBeBetween(min_value=1, severity=CRITICAL),
            ],
        ),
        Suite(
            "dvc_delivery_districts",
            "core.delivery_districts_dvc",
            [
                E.ExpectColumnValuesToBeBetween(
                    column="n_rows",
                    min_value=1,
                    severity=CRITICAL,
                    description="every district appears in this run's deliveries",
                ),
            ],
            scope="source:dvc",  # a whole district missing: every dvc indicator is partial
        ),
        Suite(
            "fct_rating",
            "core.fct_rating",
            [
                E.ExpectColumnValuesToBeUnique(column="dossier_id", severity=CRITICAL),
            ],
        ),
    ]
