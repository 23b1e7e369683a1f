"""Rules for the document-management system's staging and fact tables (T06a–c)."""

from __future__ import annotations

from typing import ClassVar

from expectations.suites import CRITICAL, WARNING, Count, E, Share, Suite, Thresholds, ThresholdSet

HASH = r"^[0-9a-f]{64}$"


class DocsThresholds(Thresholds):
    """expectations/thresholds/docs.yml, section docs (the values are there)."""

    section: ClassVar[str] = "docs"
    officer_mostly: Share
    min_work_files: Count
    secret_share_max: Share
    documents_max: Count
    documents_mostly: Share


def suites(t: ThresholdSet) -> list[Suite]:
    docs = t[DocsThresholds]
    return [
        Suite(
            "stg_docs_work_file",
            "stg.docs_work_file",
            [
                E.ExpectColumnValuesToNotBeNull(column="work_file_id", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="agency_code", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="opened_date", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="is_processed_online", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="is_state_secret", severity=CRITICAL),
                E.ExpectColumnValuesToBeInSet(
                    column="status", value_set=["open", "closed", "archived"], severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeInSet(
                    column="secrecy_level",
                    value_set=["none", "confidential", "secret", "top_secret"],
                    severity=CRITICAL,
                ),
                E.ExpectColumnValuesToBeUnique(
                    column="_row_hash", severity=CRITICAL, description="no row is staged twice"
                ),
                E.ExpectColumnValuesToMatchRegex(
                    column="officer_hash",
                    regex=HASH,
                    severity=CRITICAL,
                    description="officers' logins are keyed hashes, never in clear",
                ),
                E.ExpectColumnValuesToNotBeNull(
                    column="officer_hash", mostly=docs.officer_mostly, severity=WARNING
                ),
            ],
        ),
        Suite(
            "fct_work_file",
            "core.fct_work_file",
            [
                E.ExpectColumnValuesToBeUnique(column="work_file_id", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(
                    column="unit_code",
                    severity=CRITICAL,
                    description="every work file maps to a unit",
                ),
                E.ExpectColumnValuesToBeInSet(
                    column="agency_level",
                    value_set=["province", "district", "commune"],
                    severity=CRITICAL,
                ),
                E.ExpectTableRowCountToBeBetween(min_value=docs.min_work_files, severity=CRITICAL),
                E.ExpectColumnValuesToBeInSet(
                    column="is_state_secret",
                    value_set=[False],
                    mostly=1 - docs.secret_share_max,
                    severity=WARNING,
                    description="a large share of files marked secret shrinks the T06 denominator: check the marking",
                ),
                E.ExpectColumnValuesToBeBetween(
                    column="n_documents",
                    min_value=0,
                    max_value=docs.documents_max,
                    mostly=docs.documents_mostly,
                    severity=WARNING,
                ),
            ],
        ),
    ]
