"""Personal data: citizen IDs and tax codes become a keyed hash; names, phones and e-mails are dropped.

A value shaped like a citizen ID, phone number or e-mail address in a field
that must not hold one is found here (``personal_fields``) so that staging
quarantines its row without quoting it (``withhold_personal``).

The hash is HMAC-SHA256 with a key from configuration (never in the
repository), so the same person gets the same token across sources and runs
(T11 matches certificate holders on it) while the token cannot be reversed or
recomputed by someone holding only the warehouse.
"""

from __future__ import annotations

import hmac
import re
from typing import Any

import polars as pl

from warehouse.audit import (
    CITIZEN_ID_SHAPE,
    CLEAR_ID,
    CLEAR_PHONE,
    EDGE,
    EMAIL_SHAPE,
    PHONE_SHAPE,
)

ID_PATTERN = re.compile(r"^(\d{9}|\d{12}|\d{10}|\d{10}-\d{3}|\d{13})$")
_STRIP = r"[\s.]"


def normalise_id(col: str) -> pl.Expr:
    """An ID as sent (spaces, dots) -> digits and dash only."""
    return pl.col(col).str.replace_all(_STRIP, "")


def valid_id(col: str) -> pl.Expr:
    """True where the ID has the shape of a citizen ID (9 or 12 digits) or a tax code (10, 10-3, 13)."""
    return normalise_id(col).str.contains(ID_PATTERN.pattern)


def keyed_hash(value: str, key: bytes) -> str:
    # the one-shot C implementation: the same HMAC-SHA256 as hmac.new(...).hexdigest(), ~3x faster
    return hmac.digest(key, value.encode("utf-8"), "sha256").hex()


def hash_column(df: pl.DataFrame, col: str, key: bytes, out: str) -> pl.DataFrame:
    """Add ``out`` = keyed hash of the normalised ``col`` (null stays null), hashing each distinct value once."""
    norm = df.select(normalise_id(col).alias("_v")).to_series()
    distinct = norm.drop_nulls().unique()
    lookup = pl.DataFrame(
        {"_v": distinct, out: [keyed_hash(v, key) for v in distinct.to_list()]},
        schema={"_v": pl.String, out: pl.String},
    )
    return (
        df.with_columns(norm.alias("_v"))
        .join(lookup, on="_v", how="left", maintain_order="left")
        .drop("_v")
    )


# --- personal data where it must not be ------------------------------------------------------
WITHHELD = "<withheld>"  # what a quarantine reason or record shows instead of a personal value
SHAPES = {  # kind -> regular expression (the publish audit's, so staging catches what it would)
    "citizen ID": CLEAR_ID,
    "phone number": CLEAR_PHONE,
    "e-mail address": EMAIL_SHAPE,
}


def personal_kind(col: str) -> pl.Expr:
    """The kind of personal data a text column's value is shaped like (``SHAPES``), else null."""
    value = pl.col(col)
    kind: Any = pl.when(value.str.contains(SHAPES["citizen ID"])).then(pl.lit("citizen ID"))
    for name in ("phone number", "e-mail address"):
        kind = kind.when(value.str.contains(SHAPES[name])).then(pl.lit(name))
    return kind.otherwise(None)


def personal_fields(columns: list[str]) -> pl.Expr:
    """'field (kind), ...' for the columns whose value is shaped like personal data; null if none."""
    if not columns:
        return pl.lit(None, dtype=pl.String)
    return pl.concat_str(
        [pl.format("{} ({})", pl.lit(c), personal_kind(c)) for c in columns],
        separator=", ",
        ignore_nulls=True,
    ).replace("", None)


def withhold_personal(text: pl.Expr) -> pl.Expr:
    """``text`` with every part shaped like personal data replaced by ``WITHHELD``."""
    digits = rf"(^|{EDGE})(?:{CITIZEN_ID_SHAPE}|{PHONE_SHAPE})({EDGE}|$)"
    for _ in range(
        2
    ):  # neighbours share a boundary: a second pass takes the ones the first skipped
        text = text.str.replace_all(digits, f"${{1}}{WITHHELD}${{2}}")
    return text.str.replace_all(EMAIL_SHAPE, WITHHELD)
