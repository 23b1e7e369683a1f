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

import hashlib
import hmac
import re
from typing import Any

import duckdb
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


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC's inner and outer padded keys (RFC 2104): a key longer than a block is hashed first."""
    block = key if len(key) <= 64 else hashlib.sha256(key).digest()
    block = block.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def keyed_hashes(values: pl.Series, key: bytes) -> pl.Series:
    """``keyed_hash`` of every value of a text column at once (null stays null), in DuckDB:
    HMAC-SHA256 = sha256(outer || sha256(inner || value)), the same digest, ~3x faster."""
    inner, outer = hmac_pads(key)
    frame = values.rename("v").to_frame()  # noqa: F841 - read by DuckDB by name
    con = duckdb.connect()
    try:
        hashed = con.sql(
            """select case when v is not null
                           then sha256(?::blob || unhex(sha256(?::blob || encode(v)))) end as h
               from frame""",
            params=[outer, inner],
        ).pl()
    finally:
        con.close()
    return hashed.to_series().cast(pl.String)


def hash_column(df: pl.DataFrame, col: str, key: bytes, out: str) -> pl.DataFrame:
    """Add ``out`` = keyed hash of the normalised ``col`` (null stays null)."""
    norm = df.select(normalise_id(col)).to_series()
    return df.with_columns(keyed_hashes(norm, key).alias(out))


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
