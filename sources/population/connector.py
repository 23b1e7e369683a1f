"""Read population extracts into raw Polars frames (every field as the text it was sent as)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sources.base import read_csv_text
from sources.population import constants as c


def read_age_bands(path: str | Path) -> pl.DataFrame:
    """One quarterly extract (commune x age band) -> frame of strings with ``_row``."""
    return read_csv_text(path, c.COLUMNS)


READERS = {"age_band": read_age_bands}
