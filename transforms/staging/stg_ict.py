"""Staging of the information-systems inventory (``ict``): typed, code lists checked, contacts dropped.

The workbook's Vietnamese headers become English column names here, once.
The contact officer's name and phone and the free-text note are never loaded,
nor kept in quarantine records. Each row carries the date its inventory
describes (``inventory_as_of``, from the title block, else the delivery
date), so a system unchanged since the last quarter is still staged for this
quarter's inventory. An approval with its level but no date (or a
date but no level) is kept, marked ``approval_incomplete``: the system is
approved, and core dates it from the inventory it was reported in.
"""

from __future__ import annotations

import polars as pl

from sources.ict import constants as c
from transforms.staging.dates import parse_date
from transforms.staging.rules import (
    RowRule,
    apply_rules,
    code_not_valid_at_date,
    date_out_of_range,
    invalid_date,
    missing,
    outside_code_list,
    unknown_reference,
)
from transforms.staging.step import StagingStep

META = ["_file_id", "_row", "_file_date"]
DATES = [c.APPROVED_ON, c.PLAN_DATE, c.IN_SERVICE_FROM, c.IN_SERVICE_TO, c.AS_OF]
NOT_IN_FUTURE = [c.APPROVED_ON, c.PLAN_DATE, c.IN_SERVICE_FROM, c.AS_OF]


def present(col: str) -> pl.Expr:
    return pl.col(col).is_not_null() & (pl.col(col).str.strip_chars() != "")


def as_of() -> pl.Expr:
    """The date an inventory row is about: its own as-of date, else the file's."""
    return pl.coalesce(parse_date(c.AS_OF), pl.col("_file_date"))


def system_rules(agencies: pl.Series, agency_validity: pl.DataFrame | None = None) -> list[RowRule]:
    """With the reference's validity periods, the owner must be valid at the inventory's date."""
    labels = list(c.PLAN_STATUS_CODES)
    return [
        missing(c.CODE),
        missing(c.OWNER),
        missing(c.PROPOSED_LEVEL),
        outside_code_list(c.PROPOSED_LEVEL, c.LEVELS),
        outside_code_list(c.APPROVED_LEVEL, c.LEVELS),
        RowRule(
            "code_outside_list",
            pl.col(c.PLAN_STATUS).is_not_null() & ~pl.col(c.PLAN_STATUS).is_in(labels),
            pl.format(
                "{}={} outside code list [{}]",
                pl.lit(c.PLAN_STATUS),
                pl.col(c.PLAN_STATUS),
                pl.lit(", ".join(labels)),
            ),
        ),
        *[invalid_date(col) for col in DATES],
        *[date_out_of_range(col) for col in NOT_IN_FUTURE],
        RowRule(
            "out_of_service_before_in_service",
            parse_date(c.IN_SERVICE_TO) < parse_date(c.IN_SERVICE_FROM),
            pl.format(
                "{}={} is before {}={}",
                pl.lit(c.IN_SERVICE_TO),
                pl.col(c.IN_SERVICE_TO),
                pl.lit(c.IN_SERVICE_FROM),
                pl.col(c.IN_SERVICE_FROM),
            ),
        ),
        RowRule(
            "duplicate_key",
            pl.int_range(pl.len()).over("_file_id", c.CODE) > 0,
            pl.format(
                "{}={} appears more than once in this inventory; the first row is kept",
                pl.lit(c.CODE),
                pl.col(c.CODE),
            ),
        ),
        unknown_reference(c.OWNER, agencies, "agency"),
        *(
            []
            if agency_validity is None
            else [code_not_valid_at_date(c.OWNER, as_of(), agency_validity, "agency")]
        ),
    ]


def record_columns(df: pl.DataFrame) -> list[str]:
    """What a quarantine row keeps of the record: everything but the contact officer and the note."""
    hidden = set(c.PERSONAL_FIELDS) | set(META)
    return [col for col in df.columns if col not in hidden]


def level(col: str) -> pl.Expr:
    return pl.col(col).str.strip_chars().cast(pl.Int8, strict=False)


def stage_systems(
    raw: pl.DataFrame, agencies: pl.Series, agency_validity: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Raw inventory rows -> ``stg.ict_system`` rows and quarantine rows."""
    rules = system_rules(agencies, agency_validity)
    good, quarantine = apply_rules(raw, rules, record_columns(raw))
    staged = good.select(
        pl.col(c.CODE).alias("system_code"),
        pl.col(c.NAME).alias("system_name"),
        pl.col(c.OWNER).alias("owner_agency_code"),
        pl.col(c.OPERATOR).alias("operator_name"),
        level(c.PROPOSED_LEVEL).alias("proposed_level"),
        level(c.APPROVED_LEVEL).alias("approved_level"),
        pl.col(c.DECISION).alias("approval_decision"),
        parse_date(c.APPROVED_ON).alias("approved_date"),
        (present(c.APPROVED_LEVEL) != present(c.APPROVED_ON)).alias("approval_incomplete"),
        pl.col(c.PLAN_STATUS)
        .replace_strict(c.PLAN_STATUS_CODES, default=None, return_dtype=pl.String)
        .fill_null(c.PLAN_STATUS_EMPTY)
        .alias("plan_status"),
        parse_date(c.PLAN_DATE).alias("plan_status_date"),
        parse_date(c.IN_SERVICE_FROM).alias("in_service_from"),
        parse_date(c.IN_SERVICE_TO).alias("in_service_to"),
        as_of().alias("inventory_as_of"),
        *META,
    )
    return staged, quarantine


STEPS = {
    "system": StagingStep(
        "stg.ict_system",
        lambda raw, ctx: stage_systems(
            raw, ctx.codes("ref.agency", "agency_code"), ctx.validity("ref.agency", "agency_code")
        ),
    ),
}
