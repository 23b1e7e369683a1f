"""Row rules: a row that breaks one goes to quarantine with the rule and a reason; the rest load.

A rule is a name, a Polars expression that is true where a row breaks it,
and an expression for the reason (so the reason can quote the value). Rules
are applied in order and a row is quarantined under the first it breaks, so
every input row ends in exactly one place.

Two rules come before every source's own (``screening_rules``): a field
sent as a JSON object or list where a value is expected (``nested_value``),
and a value shaped like a citizen ID, phone number or e-mail address in a
field that must not hold one (``personal_data_in_field``). A quarantine
row quotes only the record's non-personal fields (the caller's
``record_columns``): a reason that quotes another field shows ``<withheld>``,
and so does any value shaped like personal data, in the reason and the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from transforms.pii import WITHHELD, personal_fields, withhold_personal

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


def screening_rules(record_columns: list[str]) -> list[RowRule]:
    """The rules every row meets first: no nested value, no personal data where none belongs.

    ``apply_rules`` computes ``_nested`` (set by the JSON-lines reader) and
    ``_personal`` ('field (kind), ...') before these are evaluated.
    """
    del record_columns  # the fields screened are computed by apply_rules into _personal
    return [
        RowRule(
            "nested_value",
            pl.col("_nested").is_not_null(),
            pl.format(
                "{} sent as a JSON object or list where a value is expected; value withheld",
                pl.col("_nested"),
            ),
        ),
        RowRule(
            "personal_data_in_field",
            pl.col("_personal").is_not_null(),
            pl.format(
                "{}: a value shaped like personal data in a field that must not hold any; "
                "value withheld",
                pl.col("_personal"),
            ),
        ),
    ]


def _screened(df: pl.DataFrame, record_columns: list[str]) -> list[str]:
    """The text fields kept in clear (a quarantine record quotes them, staging stores them)."""
    return [c for c in record_columns if not c.startswith("_") and df.schema.get(c) == pl.String]


def _shown(df: pl.DataFrame, record_columns: list[str]) -> pl.DataFrame:
    """``df`` as a quarantine row may quote it: fields outside ``record_columns`` withheld, values
    shaped like personal data withheld."""
    kept = set(record_columns)
    hidden = [c for c in df.columns if c not in kept and not c.startswith("_")]
    return df.with_columns(
        *[  # (when/then, not a bare literal: a literal column trips Polars in string functions)
            pl.when(pl.col(c).is_not_null())
            .then(pl.lit(WITHHELD if df.schema[c] == pl.String else None, dtype=df.schema[c]))
            .alias(c)
            for c in hidden
        ],
        *[withhold_personal(pl.col(c)).alias(c) for c in _screened(df, record_columns)],
    )


def apply_rules(
    df: pl.DataFrame, rules: list[RowRule], record_columns: list[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``df`` into (rows that pass every rule, quarantine rows).

    ``record_columns`` are the fields known to be non-personal: they are
    screened for values shaped like personal data, kept as JSON in the
    quarantine row so an operator can see what was sent, and the only ones a
    reason may quote. The caller leaves personal fields out of that list.
    """
    extra = [c for c in ("_nested", "_personal") if c not in df.columns]
    df = df.with_columns(
        *([pl.lit(None, dtype=pl.String).alias("_nested")] if "_nested" in extra else []),
        personal_fields(_screened(df, record_columns)).alias("_personal"),
    )
    rules = [*screening_rules(record_columns), *rules]
    first: Any = pl.when(rules[0].broken.fill_null(False)).then(pl.lit(0))
    for number, r in enumerate(rules[1:], start=1):
        first = first.when(r.broken.fill_null(False)).then(pl.lit(number))
    marked = df.with_columns(first.otherwise(None).cast(pl.Int32).alias("_rule_no"))
    good = marked.filter(pl.col("_rule_no").is_null()).drop("_rule_no", "_personal", *extra)
    # rechunked: Polars 2.1 panics evaluating the reasons on the filtered chunks of a batch of files
    bad = _shown(marked.filter(pl.col("_rule_no").is_not_null()).rechunk(), record_columns)
    reason: Any = pl.when(pl.col("_rule_no") == 0).then(rules[0].reason)
    for number, r in enumerate(rules[1:], start=1):
        reason = reason.when(pl.col("_rule_no") == number).then(r.reason)
    quarantine = bad.select(
        pl.col("_file_id").cast(pl.String),
        pl.col("_row").cast(pl.Int64),
        pl.col("_rule_no")
        .replace_strict(list(range(len(rules))), [r.name for r in rules], return_dtype=pl.String)
        .alias("rule"),
        withhold_personal(reason.otherwise(None).cast(pl.String)).alias("reason"),
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


OPEN_END = date(9999, 12, 31)


def _validity_text(intervals: list[tuple[date, date | None]]) -> str:
    return " and ".join(
        f"{start} to {end}" if end is not None else f"from {start}" for start, end in intervals
    )


def code_not_valid_at_date(raw: str, day: pl.Expr, validity: pl.DataFrame, what: str) -> RowRule:
    """A known code used on a date outside every validity period the reference gives it.

    ``validity``: one row per (code, valid_from, valid_to) of the reference (ISO text or
    dates; an empty or null ``valid_to`` is still valid); its first column is the code.
    ``day``: the date the record is about (a Date or Datetime expression). A code the
    reference does not know is left to ``unknown_reference`` / ``code_outside_list``; a
    row without a date is left to the date rules. Reason, e.g. "unit code 930 is not
    valid on 2025-08-14 (valid 2004-01-01 to 2025-06-30)".
    """
    intervals: dict[str, list[tuple[date, date | None]]] = {}
    for code, start, end in validity.select(
        pl.all().cast(pl.String).str.strip_chars().replace("", None)
    ).iter_rows():
        if code is not None and start is not None:
            intervals.setdefault(code, []).append(
                (date.fromisoformat(start), date.fromisoformat(end) if end else None)
            )
    codes = sorted(intervals)
    value = pl.col(raw).str.strip_chars()
    on = day.cast(pl.Date)
    valid = pl.lit(False)
    for k in range(max((len(v) for v in intervals.values()), default=0)):
        have = [c for c in codes if len(intervals[c]) > k]
        start = value.replace_strict(
            have, [intervals[c][k][0] for c in have], default=None, return_dtype=pl.Date
        )
        end = value.replace_strict(
            have,
            [intervals[c][k][1] or OPEN_END for c in have],
            default=None,
            return_dtype=pl.Date,
        )
        valid = valid | ((on >= start) & (on <= end)).fill_null(False)
    texts = [_validity_text(sorted(intervals[c], key=lambda i: i[0])) for c in codes]
    return RowRule(
        "code_not_valid_at_date",
        value.is_in(codes) & on.is_not_null() & ~valid,
        pl.format(
            what + " code {} is not valid on {} (valid {})",
            value,
            on.dt.strftime("%Y-%m-%d"),
            value.replace_strict(codes, texts, default=None, return_dtype=pl.String),
        ),
    )


def valid_at(raw: str, day: pl.Expr, validity: pl.DataFrame | None, what: str) -> list[RowRule]:
    """``[code_not_valid_at_date(...)]``, or no rule when no validity periods are given."""
    return [] if validity is None else [code_not_valid_at_date(raw, day, validity, what)]


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
