"""Many JSON-lines files read in one DuckDB pass, each exactly as ``read_json_lines`` reads it.

``read_json_lines`` (``sources/base.py``) parses a file with Polars and is the
definition of what a file means: text as sent, trimmed; a line number per
record; a field sent as an object where text is expected nulled and named in
``_nested``; a file that is not JSON lines an error naming the line. Polars
parses JSON at about a third of DuckDB's speed, and the big extracts (a year
of dossiers is 1.5 GB at the province's scale) spend most of their staging
time there.

``load_json_lines_batch`` reads a batch of files with DuckDB's ``read_json``
and explicit columns (fields outside the schema, the personal ones among
them, are never materialised) into a temporary table of the caller's
connection, each file's lines in order, and names the files whose rows equal
what ``read_json_lines`` gives; staging goes on from that table in SQL
(``transforms.staging.step.SqlStaging``). ``read_json_lines_batch`` does the
same on a connection of its own and returns for each file either its frame or
``None``. A file this pass cannot vouch for is read alone with the exact
reader. A file falls back when

- it is empty, opens with a blank, or looks like UTF-16 (encodings are the exact
  reader's business);
- DuckDB returns fewer records than the file has lines (a blank line: the
  line numbers would differ);
- a text field was sent as an object or a list (``_nested`` needs the raw
  record), or as a number with a fraction, an exponent or beyond 64 bits
  (Polars writes ``10000.0`` as ``10000``, DuckDB keeps ``10000.0``): every
  value is read as its JSON token, so its type is known, and text is taken
  out of it.

If DuckDB refuses the batch (a malformed line, a duplicate key, a field of
the wrong shape, bytes that are not UTF-8) every file of it falls back, so
the exact reader names the file and the line as before.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import duckdb
import numpy as np
import polars as pl

from sources.base import BLANKS, JsonSchema

MEMORY_LIMIT = "800MB"
PLAIN_INTEGER = "-?[0-9]{1,18}"  # an integer token that fits 64 bits whatever its digits


def odd_token(token: str) -> str:
    """Whether a JSON token may be read otherwise by the exact reader: anything but a string,
    ``true``/``false``/``null`` or an integer of at most 18 digits. Those the exact reader does
    read otherwise are an object or a list where text is expected and a number DuckDB writes
    otherwise than Polars (a fraction, an exponent, beyond 64 bits: ``json_type`` DOUBLE); all
    fail this test, and so does a 19-digit integer, left to the exact reader. Cheaper than
    ``json_type`` on every value: a string, most tokens, is known by its first character (a
    531 MB batch of dossiers read in 2.24 s instead of 2.42 s)."""
    return f"""case when starts_with({token}, '"') or {token} in ('true', 'false', 'null')
                    then false
                    else not regexp_full_match({token}, '{PLAIN_INTEGER}') end"""


def _leaf_type(dtype: pl.DataType | type[pl.DataType]) -> str:
    if dtype == pl.String:
        return "JSON"
    if isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct):
        return "STRUCT(" + ", ".join(f'"{f.name}" JSON' for f in dtype.inner.fields) + ")[]"
    raise ValueError(f"no JSON-lines reading for {dtype}")


def token_text(token: str) -> str:
    """The text of a JSON token (as ``->> '$'`` gives it): a string's without its quotes, taken
    out directly unless it holds an escape; a number or true/false as written."""
    return f"""case when not starts_with({token}, '"') then {token}::varchar
                    when contains({token}, '\\') then {token} ->> '$'
                    else substr({token}, 2, length({token}) - 2) end"""


def trimmed_text(text: str) -> str:
    """``text`` trimmed of ``BLANKS``, as ``sources.base.trimmed``; DuckDB's ``trim`` with a set
    of characters is slow (5 s of a 6 s batch), so only a value that does not open and end with
    a printable ASCII character (none of which is a blank) is given to it."""
    return f"""case when ord({text}) between 33 and 126 and ord(right({text}, 1)) between 33 and 126
                    then {text} else trim({text}, '{BLANKS}') end"""


def batch_query(schema: JsonSchema) -> str:
    """The one-pass query: every value read as its JSON token, its text taken out of it and
    trimmed of ``BLANKS`` as ``read_json_lines`` trims it (the text fields of lists as sent),
    and ``_suspect`` true where a token's type means the exact reader may read it otherwise."""
    columns = "{" + ", ".join(f"'{n}': '{_leaf_type(t)}'" for n, t in schema.items()) + "}"
    tokens, values, odd = [], [], []
    for name, dtype in schema.items():
        quoted = f'"{name}"'
        if dtype == pl.String:
            tokens.append(f"{token_text(quoted)} as {quoted}")
            values.append(f"{trimmed_text(quoted)} as {quoted}")
            odd.append(f"coalesce({odd_token(quoted)}, false)")
            continue
        fields = [f.name for f in dtype.inner.fields]  # type: ignore[union-attr]
        packed = ", ".join(f'"{f}" := ' + token_text(f'x."{f}"') for f in fields)
        tokens.append(
            f"list_transform({quoted}, lambda x: case when x is not null then struct_pack({packed}) end) as {quoted}"
        )
        values.append(quoted)
        any_odd = " or ".join(f"""coalesce({odd_token(f'x."{f}"')}, false)""" for f in fields)
        odd.append(f"coalesce(list_bool_or(list_transform({quoted}, lambda x: {any_odd})), false)")
    return f"""select {", ".join(values)}, _suspect, _path
               from (select {", ".join(tokens)}, {" or ".join(odd)} as _suspect, _path
                     from read_json(?, format = 'newline_delimited', filename = '_path',
                                    columns = {columns}))"""


def line_count(path: str | Path, counted: int | None = None) -> int | None:
    """The number of lines of a file this pass may read (a line may end without a newline), or
    None: empty, opening with a blank (maybe a blank line), or UTF-16. ``counted``: the lines
    counted when the file was taken (``meta.manifest.lines``), so only its head is read here;
    otherwise counted on a memory map with numpy, without copying the file into Python."""
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return None
        if counted is not None:
            head = fh.read(4096)
            return None if head[:1].isspace() or b"\x00" in head else counted
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            if mm[:1].isspace() or b"\x00" in mm[:4096]:
                return None
            data = np.frombuffer(mm, dtype=np.uint8)
            lines = int(np.count_nonzero(data == 10)) + (0 if data[-1] == 10 else 1)
            del data  # the map closes only once no array looks into it
    return lines


class BatchFile(NamedTuple):
    """A file ``load_json_lines_batch`` vouches for: where it is in the paths, the first rowid of
    its rows in the table (they are consecutive, in line order) and how many there are."""

    position: int
    first_rowid: int
    rows: int


def load_json_lines_batch(
    con: duckdb.DuckDBPyConnection,
    table: str,
    paths: Sequence[str | Path],
    schema: JsonSchema,
    counted: Sequence[int | None] | None = None,
) -> dict[str, BatchFile]:
    """Read many JSON-lines files in one pass into the temporary ``table`` of ``con``; return
    the files it vouches for, by path as read (``_path``), with where their rows are.

    A vouched file's rows are its lines, in order (``rowid - first_rowid + 1`` is ``_row``), with
    the values ``read_json_lines(path, schema)`` gives; the table may also hold rows of the
    files it does not vouch for (read those alone with the exact reader). ``counted``: each
    file's lines as counted when it was taken, where known (``line_count``)."""
    lines: dict[str, tuple[int, int]] = {}  # path as given to DuckDB -> (position, line count)
    for position, path in enumerate(paths):
        count = line_count(path, counted[position] if counted else None)
        if count is not None:
            lines[str(path)] = (position, count)
    con.execute(f"drop table if exists {table}")
    if not lines:
        return {}
    kept = con.execute("select current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("set preserve_insertion_order = true")  # a file's lines in order, one after another
    try:
        con.execute(f"create temp table {table} as {batch_query(schema)}", [list(lines)])
    except duckdb.Error:  # the exact reader names the file and line
        con.execute(f"drop table if exists {table}")
        return {}
    finally:
        con.execute(f"set preserve_insertion_order = {str(bool(kept)).lower()}")
    found = con.execute(
        f"""select _path, count(*), min(rowid), max(rowid), bool_or(_suspect)
            from {table} group by _path"""
    ).fetchall()
    vouched = {}
    for path, rows, first, last, suspect in found:
        position, count = lines[str(path)]
        if rows == count and last - first + 1 == rows and not suspect:
            vouched[str(path)] = BatchFile(position, first, rows)
    return vouched


def read_json_lines_batch(
    paths: Sequence[str | Path],
    schema: JsonSchema,
    counted: Sequence[int | None] | None = None,
) -> list[pl.DataFrame | None]:
    """Each file's frame as ``read_json_lines(path, schema)`` gives it, or ``None`` (read it alone).

    ``counted``: each file's lines as counted when it was taken, where known (``line_count``)."""
    out: list[pl.DataFrame | None] = [None] * len(paths)
    con = duckdb.connect()
    try:
        con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
        vouched = load_json_lines_batch(con, "_read", paths, schema, counted)
        if not vouched:
            return out
        frame = con.sql("select * exclude (_suspect) from _read order by rowid").pl()
    finally:
        con.close()
    for (path,), part in frame.partition_by("_path", maintain_order=True, as_dict=True).items():
        if str(path) not in vouched:
            continue
        out[vouched[str(path)].position] = part.select(
            *list(schema),
            pl.int_range(1, part.height + 1, dtype=pl.Int64).alias("_row"),
            pl.lit(None, dtype=pl.String).alias("_nested"),
        )
    return out
