"""Rules for the retail-store register's staging and fact tables (T10)."""

from __future__ import annotations

from typing import ClassVar

from expectations.suites import CRITICAL, WARNING, E, Share, Suite, Thresholds, ThresholdSet
from sources.tax import constants as c

HASH = r"^[0-9a-f]{64}$"


class TaxThresholds(Thresholds):
    """expectations/thresholds/tax.yml, section tax (the values are there)."""

    section: ClassVar[str] = "tax"
    active_mostly: Share


def suites(t: ThresholdSet) -> list[Suite]:
    tax = t[TaxThresholds]
    return [
        Suite(
            "stg_tax_retail_store",
            "stg.tax_retail_store",
            [
                E.ExpectColumnValuesToNotBeNull(column="store_id", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="snapshot_date", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="unit_code", severity=CRITICAL),
                E.ExpectColumnValuesToMatchRegex(
                    column="taxpayer_hash",
                    regex=HASH,
                    severity=CRITICAL,
                    description="tax codes and citizen IDs are keyed hashes, never in clear",
                ),
                E.ExpectColumnValuesToBeInSet(
                    column="business_line", value_set=list(c.BUSINESS_LINES), severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeInSet(
                    column="status_code", value_set=list(c.STATUS), severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeUnique(
                    column="_row_hash", severity=CRITICAL, description="no row is staged twice"
                ),
            ],
        ),
        Suite(
            "fct_retail_store",
            "core.fct_retail_store",
            [
                E.ExpectCompoundColumnsToBeUnique(
                    column_list=["store_id", "valid_from"],
                    severity=CRITICAL,
                    description="a store counts once on any day",
                ),
                E.ExpectColumnValuesToNotBeNull(column="unit_code", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="valid_to", severity=CRITICAL),
                E.ExpectTableRowCountToBeBetween(min_value=1, severity=CRITICAL),
                E.ExpectColumnValuesToBeInSet(
                    column="is_active",
                    value_set=[True],
                    mostly=tax.active_mostly,
                    severity=WARNING,
                    description="most stores in the register are active",
                ),
                E.ExpectColumnValuesToNotBeNull(column="taxpayer_type", severity=WARNING),
            ],
        ),
    ]
