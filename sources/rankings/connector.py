"""Read the ministry's published ranking tables (DTI, Vietnam ICT Index) into raw frames of strings.

The DTI table comes ``;``-separated with decimal commas (Excel's Vietnamese
settings), the ICT Index table ``,``-separated; the separator is taken from
the header line, so a re-export with the other one still reads. A missing
column raises ``SourceFileError`` naming it.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sources.base import decode_text, read_csv_text
from sources.rankings import constants as c


def header_separator(path: str | Path, default: str) -> str:
    """``;`` or ``,``, whichever splits the header line more."""
    data = Path(path).read_bytes()
    if not data.strip():
        return default
    header = decode_text(data, str(path)).split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def read_dti(path: str | Path) -> pl.DataFrame:
    """A DTI provinces table -> frame of strings with ``_row``."""
    return read_csv_text(path, c.DTI_COLUMNS, separator=header_separator(path, c.DTI_SEPARATOR))


def read_ict(path: str | Path) -> pl.DataFrame:
    """A Vietnam ICT Index provinces table -> frame of strings with ``_row``."""
    return read_csv_text(path, c.ICT_COLUMNS, separator=header_separator(path, ","))


READERS = {"dti": read_dti, "ict": read_ict}
