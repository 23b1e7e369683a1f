"""Personal data: citizen IDs and tax codes become a keyed hash; names, phones and e-mails are dropped.

The hash is HMAC-SHA256 with a key from configuration (never in the
repository), so the same person gets the same token across sources and runs
(T11 matches certificate holders on it) while the token cannot be reversed or
recomputed by someone holding only the warehouse.
"""

from __future__ import annotations

import hashlib
import hmac
import re

import polars as pl

ID_PATTERN = re.compile(r"^(\d{9}|\d{12}|\d{10}|\d{10}-\d{3}|\d{13})$")
_STRIP = r"[\s.]"


def normalise_id(col: str) -> pl.Expr:
    """An ID as sent (spaces, dots) -> digits and dash only."""
    return pl.col(col).str.replace_all(_STRIP, "")


def valid_id(col: str) -> pl.Expr:
    """True where the ID has the shape of a citizen ID (9 or 12 digits) or a tax code (10, 10-3, 13)."""
    return normalise_id(col).str.contains(ID_PATTERN.pattern)


def keyed_hash(value: str, key: bytes) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


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
