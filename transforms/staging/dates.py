"""Dates as the sources send them -> typed datetimes, in one place.

The national integration sends ``yyyyMMddHHmmss``; real exports mix in
ISO dates and the Vietnamese ``dd/MM/yyyy``. The accepted formats are a fact
about the exports (``sources.base``); anything else stays null and the caller
quarantines the row.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from sources.base import DATE_FORMATS, DATETIME_FORMATS

EARLIEST = date(2000, 1, 1)  # nothing in these systems predates this


def parse_datetime(col: str) -> pl.Expr:
    """Text in any accepted format -> Datetime (null where none fits)."""
    text = pl.col(col).str.strip_chars()
    candidates = [text.str.strptime(pl.Datetime("us"), f, strict=False) for f in DATETIME_FORMATS]
    candidates += [
        text.str.strptime(pl.Date, f, strict=False).cast(pl.Datetime("us")) for f in DATE_FORMATS
    ]
    return pl.coalesce(candidates)


def parse_date(col: str) -> pl.Expr:
    return parse_datetime(col).dt.date()


def unparseable(col: str) -> pl.Expr:
    """True where text was sent but no accepted format reads it."""
    text = pl.col(col).str.strip_chars()
    return (text.is_not_null() & (text != "")) & parse_datetime(col).is_null()


def parsed_name(col: str) -> str:
    return f"_dt_{col}"


def with_parsed(df: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
    """Parse each date column once into ``_dt_<col>``; rules and the staged select reuse it.

    The same values as ``parse_datetime``, cheaper: every column is read with the first
    format (the national integration's, which nearly every value has), and only a column
    where a sent value did not fit it is read again with every format (``parse_datetime``
    tries the formats in order, so a value the first format reads is read the same)."""
    first = DATETIME_FORMATS[0]
    df = df.with_columns(
        pl.col(c)
        .str.strip_chars()
        .str.strptime(pl.Datetime("us"), first, strict=False)
        .alias(parsed_name(c))
        for c in cols
    )
    missed = df.select(unparseable_parsed(c).any().alias(c) for c in cols).row(0, named=True)
    return df.with_columns(parse_datetime(c).alias(parsed_name(c)) for c in cols if missed[c])


def unparseable_parsed(col: str) -> pl.Expr:
    """As ``unparseable``, over a column already parsed by ``with_parsed``."""
    text = pl.col(col).str.strip_chars()
    return (text.is_not_null() & (text != "")) & pl.col(parsed_name(col)).is_null()
