"""Read ``docs`` extract files into raw Polars frames, every field as the text it was sent as.

Typing, decoding and hashing happen in ``transforms/staging/stg_docs.py``;
here a file is only parsed. A file that cannot be parsed raises
``SourceFileError`` naming the file.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl

from sources.base import file_date, read_csv_text
from sources.docs import constants as c


def read_work_files(path: str | Path) -> pl.DataFrame:
    """One monthly work-file report (CSV, Vietnamese headers) -> frame of strings with ``_row``."""
    return read_csv_text(path, c.WORK_FILE_COLUMNS)


def month_of(name: str) -> tuple[date, date] | None:
    """``hscv_YYYYMM_YYYYMMDD.csv`` -> the calendar month the report covers (first, last day)."""
    stem = name.rsplit(".", 1)[0]
    parts = stem.split("_")
    if len(parts) != 3 or parts[0] != c.FILE_PREFIX or file_date(name) is None:
        return None
    month = parts[1]
    if len(month) != 6 or not month.isdigit() or not 1 <= int(month[4:]) <= 12:
        return None
    first = date(int(month[:4]), int(month[4:]), 1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - timedelta(days=1)


READERS = {"work_file": read_work_files}
