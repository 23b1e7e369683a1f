"""Read the operators' fibre-coverage reports and the household counts into raw Polars frames of strings.

Operators separate with commas or tabs (``read_csv_text`` recognises a tab
header) and some write a byte-order mark; the frame is the same.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sources.base import read_csv_text
from sources.telecom import constants as c


def read_coverage(path: str | Path) -> pl.DataFrame:
    """One operator's quarterly FTTH report -> frame of strings with ``_row``."""
    return read_csv_text(path, c.COVERAGE_COLUMNS)


def read_households(path: str | Path) -> pl.DataFrame:
    """The statistics office's households-per-commune file -> frame of strings with ``_row``."""
    return read_csv_text(path, c.HOUSEHOLD_COLUMNS)


READERS = {"coverage": read_coverage, "household": read_households}
