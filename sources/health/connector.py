"""Read the health sector's facility list into raw Polars frames (strings, as sent)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sources.base import read_csv_text
from sources.health import constants as c


def read_facilities(path: str | Path) -> pl.DataFrame:
    """One month-end facility list (semicolon separated) -> frame of strings with ``_row``."""
    return read_csv_text(path, c.COLUMNS, separator=c.SEPARATOR)


READERS = {"facility": read_facilities}
