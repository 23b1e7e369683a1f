"""Read the tax department's retail-store register into a raw Polars frame of strings."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sources.base import read_csv_text
from sources.tax import constants as c


def read_stores(path: str | Path) -> pl.DataFrame:
    """One register snapshot (semicolon CSV) -> frame of strings with ``_row``; header-only -> empty."""
    return read_csv_text(path, c.STORE_COLUMNS, separator=c.SEPARATOR)


READERS = {"store": read_stores}
