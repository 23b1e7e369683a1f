"""Read ``dvc`` extract files into raw Polars frames, every field as the text it was sent as.

Typing, decoding and hashing happen in ``transforms/staging``; here a file is
only parsed. A file that cannot be parsed raises ``SourceFileError`` naming
the file (and the line, when one line is at fault).
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl

from sources.base import SourceFileError, json_lines_frame, read_csv_text, read_json_lines
from sources.dvc import constants as c
from sources.json_batch import BatchFile, load_json_lines_batch, read_json_lines_batch

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


def read_dossier_page(path: str | Path) -> pl.DataFrame:
    """One page of the dossier API (``sources/dvc/api.py``), archived as received -> the same frame.

    The page is a JSON object whose ``data`` list holds records of the same
    shape as a line of a dossier file (plus the API's update time, not read);
    they are read exactly as a dossier file's lines are (nested values
    screened, text trimmed), ``_row`` being a record's position in the list.
    """
    file = str(path)
    try:
        page = json.loads(Path(path).read_bytes())
    except ValueError:
        raise SourceFileError(file, None, None, "not a dossier API page: not JSON") from None
    records = page.get("data") if isinstance(page, dict) else None
    if not isinstance(records, list):
        raise SourceFileError(file, None, "data", "not a dossier API page: no 'data' list")
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise SourceFileError(file, number, None, "a record of the page is not a JSON object")
    lines = b"\n".join(json.dumps(r, ensure_ascii=False).encode() for r in records)
    return json_lines_frame(lines, file, DOSSIER_SCHEMA)


def read_dossier_file(path: str | Path) -> pl.DataFrame:
    """A dossier extract: a JSON-lines file, or a page of the dossier API (``*.json``)."""
    if str(path).endswith(".json"):
        return read_dossier_page(path)
    return read_dossiers(path)


def read_table(dataset: str, path: str | Path) -> pl.DataFrame:
    """A catalogue, provision or rating CSV -> frame of strings with ``_row``."""
    optional = c.PROCEDURE_OPTIONAL_COLUMNS if dataset == "procedure" else ()
    return read_csv_text(path, CSV_COLUMNS[dataset], optional=optional)


def _json_lines(
    paths: list[str], counted: list[int | None] | None
) -> tuple[list[int], list[str], list[int | None] | None]:
    """The JSON-lines files among ``paths`` (an API page, ``*.json``, is read alone): their
    positions, paths and counted lines."""
    lines = [i for i, p in enumerate(paths) if not str(p).endswith(".json")]
    return lines, [paths[i] for i in lines], [counted[i] for i in lines] if counted else None


def read_dossier_files(
    paths: list[str], counted: list[int | None] | None = None
) -> list[pl.DataFrame | None]:
    """Many dossier files in one pass (``sources/json_batch.py``): each JSON-lines file's frame as
    ``read_dossier_file`` gives it, or None (an API page, or a file to read alone). ``counted``:
    each file's lines as counted when taken, where known."""
    lines, files, lines_counted = _json_lines(paths, counted)
    frames = read_json_lines_batch(files, DOSSIER_SCHEMA, lines_counted)
    out: list[pl.DataFrame | None] = [None] * len(paths)
    for i, frame in zip(lines, frames, strict=True):
        out[i] = frame
    return out


def load_dossier_files(
    con: duckdb.DuckDBPyConnection,
    table: str,
    paths: list[str],
    counted: list[int | None] | None = None,
) -> dict[str, BatchFile]:
    """Many dossier files in one pass into the temporary ``table`` of ``con``, for staging in
    SQL (``sources/json_batch.py``): the JSON-lines files it vouches for, by path; an API page
    or a file to read alone is left to ``read_dossier_file``."""
    lines, files, lines_counted = _json_lines(paths, counted)
    vouched = load_json_lines_batch(con, table, files, DOSSIER_SCHEMA, lines_counted)
    return {path: f._replace(position=lines[f.position]) for path, f in vouched.items()}


READERS = {
    "dossier": read_dossier_file,
    "procedure": lambda p: read_table("procedure", p),
    "provision": lambda p: read_table("provision", p),
    "rating": lambda p: read_table("rating", p),
}
BATCH_READERS = {"dossier": read_dossier_files}
TABLE_READERS = {"dossier": load_dossier_files}
