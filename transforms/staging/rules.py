"""Row rules: a row that breaks one goes to quarantine with the rule and a reason; the rest load.

A rule is a name, a Polars expression that is true where a row breaks it,
and an expression for the reason (so the reason can quote the value). Rules
are applied in order and a row is quarantined under the first it breaks, so
every input row ends in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

QUARANTINE_SCHEMA = {
    "_file_id": pl.String,
    "_row": pl.Int64,
    "rule": pl.String,
    "reason": pl.String,
    "record": pl.String,
}


@dataclass(frozen=True)
class RowRule:
    name: str
    broken: pl.Expr  # true where the row breaks the rule (null counts as not broken)
    reason: pl.Expr  # a string expression


def apply_rules(
    df: pl.DataFrame, rules: list[RowRule], record_columns: list[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``df`` into (rows that pass every rule, quarantine rows).

    ``record_columns`` are kept, as JSON, in the quarantine row so an operator
    can see what was sent; the caller leaves personal fields out of that list.
    """
    if not rules:
        return df, pl.DataFrame(schema=QUARANTINE_SCHEMA)
    rule_expr: Any = pl.when(rules[0].broken.fill_null(False)).then(pl.lit(rules[0].name))
    reason_expr: Any = pl.when(rules[0].broken.fill_null(False)).then(rules[0].reason)
    for r in rules[1:]:
        rule_expr = rule_expr.when(r.broken.fill_null(False)).then(pl.lit(r.name))
        reason_expr = reason_expr.when(r.broken.fill_null(False)).then(r.reason)
    marked = df.with_columns(
        rule_expr.otherwise(None).alias("_rule"),
        reason_expr.otherwise(None).cast(pl.String).alias("_reason"),
    )
    good = marked.filter(pl.col("_rule").is_null()).drop("_rule", "_reason")
    bad = marked.filter(pl.col("_rule").is_not_null())
    quarantine = bad.select(
        pl.col("_file_id").cast(pl.String),
        pl.col("_row").cast(pl.Int64),
        pl.col("_rule").alias("rule"),
        pl.col("_reason").alias("reason"),
        pl.struct([pl.col(c) for c in record_columns]).struct.json_encode().alias("record"),
    )
    return good, quarantine


def missing(col: str) -> RowRule:
    return RowRule(
        "missing_field",
        pl.col(col).is_null() | (pl.col(col).str.strip_chars() == ""),
        pl.lit(f"required field {col} is empty"),
    )


def outside_code_list(raw: str, codes: list[int]) -> RowRule:
    """The raw text is present but is not one of the integer codes."""
    allowed = ",".join(str(c) for c in codes)
    parsed = pl.col(raw).str.strip_chars().cast(pl.Int64, strict=False)
    return RowRule(
        "code_outside_list",
        pl.col(raw).is_not_null() & ~parsed.is_in(codes).fill_null(False),
        pl.concat_str([pl.lit(f"{raw}="), pl.col(raw), pl.lit(f" outside code list [{allowed}]")]),
    )


def unknown_reference(raw: str, known: pl.Series, what: str) -> RowRule:
    return RowRule(
        f"unknown_{what}",
        pl.col(raw).is_not_null() & ~pl.col(raw).is_in(known.implode()),
        pl.format("{}={} is not a known " + what, pl.lit(raw), pl.col(raw)),
    )


# a count as exports write it: plain digits, or digits grouped by three with a dot, comma or space
WHOLE_NUMBER = r"^[+-]?(\d+|\d{1,3}(?:[.,\s]\d{3})+)$"


def whole_number(col: str) -> pl.Expr:
    """'1234', '1.234', '1,234', '1 234' -> 1234; null for anything else, so that a decimal
    ('12,5', '4.5') is not read as a count with its separator dropped (125, 45)."""
    text = pl.col(col).str.strip_chars()
    return (
        pl.when(text.str.contains(WHOLE_NUMBER))
        .then(text.str.replace_all(r"[.,\s]", ""))
        .cast(pl.Int64, strict=False)
    )


def invalid_date(col: str, parsed: bool = False) -> RowRule:
    """Text was sent but no accepted date format reads it (``parsed``: ``with_parsed`` ran first)."""
    from transforms.staging.dates import unparseable, unparseable_parsed

    check = unparseable_parsed if parsed else unparseable
    return RowRule(
        "invalid_date", check(col), pl.format("{}={} is not a date", pl.lit(col), pl.col(col))
    )


def date_out_of_range(col: str, parsed: bool = False) -> RowRule:
    """Before 2000, or after the day the file was delivered (a date in the future)."""
    from datetime import timedelta

    from transforms.staging.dates import EARLIEST, parse_datetime, parsed_name

    value = pl.col(parsed_name(col)) if parsed else parse_datetime(col)
    latest = (pl.col("_file_date") + timedelta(days=1)).cast(pl.Datetime("us"))
    return RowRule(
        "date_out_of_range",
        (value < pl.lit(EARLIEST).cast(pl.Datetime("us"))) | (value > latest),
        pl.format(
            "{}={} is before 2000 or after the extract date {}",
            pl.lit(col),
            pl.col(col),
            pl.col("_file_date"),
        ),
    )
