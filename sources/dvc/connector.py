"""Read ``dvc`` extract files into raw Polars frames, every field as the text it was sent as.

Typing, decoding and hashing happen in ``transforms/staging``; here a file is
only parsed. A file that cannot be parsed raises ``SourceFileError`` naming
the file (and the line, when one line is at fault).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import polars as pl

from sources.base import SourceFileError, read_csv_text
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
    """One JSON-lines dossier file -> frame with ``_row`` (1-based line number).

    Only ``DOSSIER_READ_FIELDS`` are parsed: names, phones and e-mails never
    enter the pipeline, not even in memory as columns.
    """
    data = Path(path).read_bytes()
    if not data.strip():
        return pl.DataFrame(schema={**DOSSIER_SCHEMA, "_row": pl.Int64})
    try:
        df = pl.read_ndjson(io.BytesIO(data), schema=DOSSIER_SCHEMA)
    except Exception as exc:  # polars names no line: find it
        raise SourceFileError(str(path), *_first_bad_json_line(data), str(exc)) from exc
    return df.with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64))


def _first_bad_json_line(data: bytes) -> tuple[int | None, str | None]:
    """(line, field) of the first record that is not JSON, not an object, or sends a list field
    (documents, results, fees) as something other than a list of objects."""
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            return number, None
        if not isinstance(value, dict):
            return number, None
        for name in c.DOSSIER_READ_LIST_FIELDS:
            items = value.get(name)
            if items is not None and not (
                isinstance(items, list) and all(isinstance(i, dict) for i in items)
            ):
                return number, name
    return None, None


def read_dossier_page(path: str | Path) -> pl.DataFrame:
    """One page of the dossier API (``sources/dvc/api.py``), archived as received -> the same frame.

    The page is a JSON object whose ``data`` list holds records of the same
    shape as a line of a dossier file (plus the API's update time, not read);
    ``_row`` is a record's position in that list.
    """
    file = str(path)
    data = Path(path).read_bytes()
    try:
        page = pl.read_json(io.BytesIO(data), schema={"data": pl.List(pl.Struct(DOSSIER_SCHEMA))})
    except Exception as exc:
        raise SourceFileError(file, None, None, f"not a dossier API page: {exc}") from exc
    if page.height != 1 or page["data"][0] is None:
        raise SourceFileError(file, None, "data", "not a dossier API page: no 'data' list")
    records = page["data"][0]
    frame = records.struct.unnest() if len(records) else pl.DataFrame(schema=DOSSIER_SCHEMA)
    return frame.with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64))


def read_dossier_file(path: str | Path) -> pl.DataFrame:
    """A dossier extract: a JSON-lines file, or a page of the dossier API (``*.json``)."""
    if str(path).endswith(".json"):
        return read_dossier_page(path)
    return read_dossiers(path)


def read_table(dataset: str, path: str | Path) -> pl.DataFrame:
    """A catalogue, provision or rating CSV -> frame of strings with ``_row``."""
    optional = c.PROCEDURE_OPTIONAL_COLUMNS if dataset == "procedure" else ()
    return read_csv_text(path, CSV_COLUMNS[dataset], optional=optional)


READERS = {
    "dossier": read_dossier_file,
    "procedure": lambda p: read_table("procedure", p),
    "provision": lambda p: read_table("provision", p),
    "rating": lambda p: read_table("rating", p),
}
