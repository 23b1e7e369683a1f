"""Read ``dvc`` extract files into raw Polars frames, every field as the text it was sent as.

Typing, decoding and hashing happen in ``transforms/staging``; here a file is
only parsed. A file that cannot be parsed raises ``SourceFileError`` naming
the file (and the line, when one line is at fault).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sources.base import read_csv_text, read_json_lines
from sources.dvc import constants as c

DOSSIER_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    **{f: pl.String for f in c.DOSSIER_READ_FIELDS},
    **{
        name: pl.List(pl.Struct({f: pl.String for f in fields}))
        for name, fields in c.DOSSIER_READ_LIST_FIELDS.items()
    },
}

CSV_COLUMNS = {
    "procedure": c.PROCEDURE_COLUMNS,
    "provision": c.PROVISION_COLUMNS,
    "rating": c.RATING_COLUMNS,
}


def read_dossiers(path: str | Path) -> pl.DataFrame:
    """One JSON-lines dossier file -> frame with ``_row`` (line number) and ``_nested``.

    Only ``DOSSIER_READ_FIELDS`` are parsed: names, phones and e-mails never
    enter the pipeline, not even in memory as columns. A field sent as an
    object where a value is expected is never turned into text (see
    ``sources.base.read_json_lines``).
    """
    return read_json_lines(path, DOSSIER_SCHEMA)


def read_table(dataset: str, path: str | Path) -> pl.DataFrame:
    """A catalogue, provision or rating CSV -> frame of strings with ``_row``."""
    return read_csv_text(path, CSV_COLUMNS[dataset])


READERS = {
    "dossier": read_dossiers,
    "procedure": lambda p: read_table("procedure", p),
    "provision": lambda p: read_table("provision", p),
    "rating": lambda p: read_table("rating", p),
}
