"""Read the enterprise survey export into a raw Polars frame, every field as the text it was sent as."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sources.base import read_csv_text
from sources.enterprise import constants as c


def read_survey(path: str | Path) -> pl.DataFrame:
    """One survey CSV -> frame of strings (``SURVEY_COLUMNS``) with ``_row``; header-only -> empty frame."""
    return read_csv_text(path, c.SURVEY_COLUMNS)


READERS = {"survey": read_survey}
