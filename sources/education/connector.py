"""Read the education sector database exports into raw Polars frames (strings, as sent)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sources.base import read_csv_text
from sources.education import constants as c


def read_institutions(path: str | Path) -> pl.DataFrame:
    return read_csv_text(path, c.INSTITUTION_COLUMNS)


def read_enrolment(path: str | Path) -> pl.DataFrame:
    return read_csv_text(path, c.ENROLMENT_COLUMNS)


READERS = {"institution": read_institutions, "enrolment": read_enrolment}
