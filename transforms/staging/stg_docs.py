"""Staging of the document-management system (``docs``): typed, code lists checked, logins hashed, names dropped.

The monthly report's Vietnamese headers become English column names here,
once. The officer's name and the file's title (free text that often names
the citizen a file is about) are never loaded, nor kept in quarantine
records; the officer's login becomes a keyed hash.
"""

from __future__ import annotations

import polars as pl

from sources.docs import constants as c
from transforms.pii import hash_column
from transforms.staging.dates import parse_date, parse_datetime
from transforms.staging.rules import (
    RowRule,
    apply_rules,
    code_not_valid_at_date,
    date_out_of_range,
    invalid_date,
    missing,
    unknown_reference,
)
from transforms.staging.step import StagingStep

META = ["_file_id", "_row", "_file_date"]
REQUIRED = [c.CODE, c.AGENCY, c.OPENED, c.STATUS, c.ONLINE, c.SECRECY]
DATES = [c.OPENED, c.CLOSED, c.UPDATED]


def outside_labels(col: str, labels: list[str]) -> RowRule:
    """The text is present but is not one of the labels of the code list."""
    return RowRule(
        "code_outside_list",
        pl.col(col).is_not_null() & ~pl.col(col).is_in(labels),
        pl.format(
            "{}={} outside code list [{}]", pl.lit(col), pl.col(col), pl.lit(", ".join(labels))
        ),
    )


def count_rule(col: str, maximum: int) -> RowRule:
    """A count that is not a whole number, is negative, or is beyond belief."""
    value = pl.col(col).cast(pl.Int64, strict=False)
    return RowRule(
        "invalid_count",
        pl.col(col).is_not_null() & (value.is_null() | (value < 0) | (value > maximum)),
        pl.format(
            "{}={} is not a count between 0 and {}", pl.lit(col), pl.col(col), pl.lit(maximum)
        ),
    )


def status_of() -> pl.Expr:
    return pl.col(c.STATUS).replace_strict(c.STATUS_CODES, default=None, return_dtype=pl.String)


def work_file_rules(
    agencies: pl.Series, agency_validity: pl.DataFrame | None = None
) -> list[RowRule]:
    """The rules of a work-file row; with the reference's validity periods, the agency must be
    valid on the day the file was opened (a file keeps its agency's code for its whole life)."""
    opened, closed = parse_date(c.OPENED), parse_date(c.CLOSED)
    is_open = status_of().is_in(list(c.OPEN_STATUSES))
    has_closed = pl.col(c.CLOSED).is_not_null() & (pl.col(c.CLOSED) != "")
    return [
        *[missing(col) for col in REQUIRED],
        outside_labels(c.STATUS, list(c.STATUS_CODES)),
        outside_labels(c.ONLINE, list(c.ONLINE_CODES)),
        outside_labels(c.SECRECY, list(c.SECRECY_CODES)),
        *[invalid_date(col) for col in DATES],
        date_out_of_range(c.OPENED),
        date_out_of_range(c.CLOSED),
        RowRule(
            "closed_before_opened",
            closed < opened,
            pl.format(
                "{}={} is before {}={}",
                pl.lit(c.CLOSED),
                pl.col(c.CLOSED),
                pl.lit(c.OPENED),
                pl.col(c.OPENED),
            ),
        ),
        RowRule(
            "status_conflict",
            (is_open & has_closed) | (~is_open & ~has_closed),
            pl.format(
                "{}={} does not agree with {}={}",
                pl.lit(c.STATUS),
                pl.col(c.STATUS),
                pl.lit(c.CLOSED),
                pl.col(c.CLOSED).fill_null("(empty)"),
            ),
        ),
        count_rule(c.N_DOCUMENTS, c.MAX_DOCUMENTS),
        unknown_reference(c.AGENCY, agencies, "agency"),
        *(
            []
            if agency_validity is None
            else [code_not_valid_at_date(c.AGENCY, opened, agency_validity, "agency")]
        ),
    ]


def record_columns(df: pl.DataFrame) -> list[str]:
    """What a quarantine row keeps of the record: everything but the title, names and logins."""
    hidden = set(c.PERSONAL_FIELDS) | set(META)
    return [col for col in df.columns if col not in hidden]


def stage_work_files(
    raw: pl.DataFrame,
    pii_key: bytes,
    agencies: pl.Series,
    agency_validity: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Raw report rows -> ``stg.docs_work_file`` rows and quarantine rows."""
    rules = work_file_rules(agencies, agency_validity)
    good, quarantine = apply_rules(raw, rules, record_columns(raw))
    good = hash_column(
        good.with_columns(pl.col(c.OFFICER_ACCOUNT).str.to_lowercase()),
        c.OFFICER_ACCOUNT,
        pii_key,
        "officer_hash",
    )
    secrecy = pl.col(c.SECRECY).replace_strict(
        c.SECRECY_CODES, default=None, return_dtype=pl.String
    )
    staged = good.select(
        pl.col(c.CODE).alias("work_file_id"),
        pl.col(c.AGENCY).alias("agency_code"),
        parse_date(c.OPENED).alias("opened_date"),
        parse_date(c.CLOSED).alias("closed_date"),
        status_of().alias("status"),
        pl.col(c.ONLINE)
        .replace_strict(c.ONLINE_CODES, default=None, return_dtype=pl.Boolean)
        .alias("is_processed_online"),
        secrecy.alias("secrecy_level"),
        (secrecy != "none").alias("is_state_secret"),
        pl.col(c.N_DOCUMENTS).cast(pl.Int32, strict=False).alias("n_documents"),
        pl.col("officer_hash"),
        parse_datetime(c.UPDATED).alias("updated_at"),
        *META,
    )
    return staged, quarantine


STEPS = {
    "work_file": StagingStep(
        "stg.docs_work_file",
        lambda raw, ctx: stage_work_files(
            raw,
            ctx.pii_key,
            ctx.codes("ref.agency", "agency_code"),
            ctx.validity("ref.agency", "agency_code"),
        ),
    ),
}
