"""Rules for the certificate issuers' reports, the certificate table and T11's coverage table."""

from __future__ import annotations

from typing import ClassVar

from expectations.suites import CRITICAL, WARNING, E, Share, Suite, Thresholds, ThresholdSet
from sources.certificates import constants as c

HASH = r"^[0-9a-f]{64}$"


class CertificatesThresholds(Thresholds):
    """expectations/thresholds/certificates.yml, section certificates (the values are there)."""

    section: ClassVar[str] = "certificates"
    commune_mostly: Share
    birth_year_max: int


def suites(t: ThresholdSet) -> list[Suite]:
    cert = t[CertificatesThresholds]
    return [
        Suite(
            "stg_certificates_certificate",
            "stg.certificates_certificate",
            [
                E.ExpectColumnValuesToNotBeNull(column="serial", severity=CRITICAL),
                E.ExpectColumnValuesToBeInSet(
                    column="issuer_code", value_set=list(c.ISSUERS), severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeInSet(
                    column="subscriber_type", value_set=list(c.SUBSCRIBER_TYPE), severity=CRITICAL
                ),
                E.ExpectColumnValuesToNotBeNull(column="issued_date", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="expiry_date", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="holder_hash", severity=CRITICAL),
                E.ExpectColumnValuesToMatchRegex(
                    column="holder_hash",
                    regex=HASH,
                    severity=CRITICAL,
                    description="holder IDs are keyed hashes, never in clear",
                ),
                E.ExpectColumnValuesToBeUnique(
                    column="_row_hash", severity=CRITICAL, description="no row is staged twice"
                ),
                E.ExpectColumnValuesToBeBetween(
                    column="holder_birth_year",
                    min_value=1900,
                    max_value=cert.birth_year_max,
                    severity=WARNING,
                    description="holders were born in a plausible year",
                ),
                E.ExpectColumnValuesToNotBeNull(
                    column="unit_code",
                    mostly=cert.commune_mostly,
                    severity=WARNING,
                    description="most certificates name the holder's commune",
                ),
            ],
        ),
        Suite(
            "fct_certificate",
            "core.fct_certificate",
            [
                E.ExpectCompoundColumnsToBeUnique(
                    column_list=["issuer_code", "serial"], severity=CRITICAL
                ),
                E.ExpectColumnValuesToNotBeNull(column="unit_code", severity=CRITICAL),
                E.ExpectTableRowCountToBeBetween(min_value=1, severity=CRITICAL),
            ],
        ),
        Suite(
            "fct_signature_coverage",
            "core.fct_signature_coverage",
            [
                E.ExpectColumnValuesToBeInSet(
                    column="kind", value_set=["holder", "population"], severity=CRITICAL
                ),
                E.ExpectColumnValuesToNotBeNull(column="unit_code", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="valid_from", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="valid_through", severity=CRITICAL),
                E.ExpectColumnValuesToMatchRegex(
                    column="holder_hash",
                    regex=HASH,
                    severity=CRITICAL,
                    description="holders are keyed hashes, never in clear",
                ),
                E.ExpectColumnValuesToBeBetween(column="adults", min_value=0, severity=CRITICAL),
                E.ExpectTableRowCountToBeBetween(min_value=1, severity=CRITICAL),
                E.ExpectColumnValuesToBeBetween(
                    column="n_issuers", min_value=1, max_value=len(c.ISSUERS), severity=WARNING
                ),
            ],
        ),
    ]
