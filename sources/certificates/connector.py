"""Read the issuers' certificate reports into raw Polars frames (every field as the text sent).

``sources.base.read_csv_text`` handles the issuers' encodings (UTF-8 with or
without BOM, UTF-16 "Unicode text" with tabs, Windows-1258).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sources.base import read_csv_text
from sources.certificates import constants as c


def read_certificates(path: str | Path) -> pl.DataFrame:
    """One register or monthly report -> frame of strings with ``_row``."""
    return read_csv_text(path, c.COLUMNS)


READERS = {dataset: read_certificates for dataset in c.DATASETS}
