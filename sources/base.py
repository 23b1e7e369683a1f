"""What every source module provides, and the file-reading helpers they share.

A source is a small declaration (``Source``): its name, the datasets it
exports with the landing glob of each, a reader per dataset that turns one
file into a raw frame of strings, and the cadence at which its extracts are
expected. Its simulator lives beside it (``simulator.py``) and is imported
only to seed a landing zone, never by the nightly DAG. The slice registry
(``flows/registry.py``) joins each source to its staging, core models, rules
and indicators; the flow iterates over it and never names a source.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

# the date formats the exports use: the national integration's yyyyMMddHHmmss, ISO, and dd/MM/yyyy
DATETIME_FORMATS = [
    "%Y%m%d%H%M%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
]
DATE_FORMATS = ["%Y%m%d", "%Y-%m-%d", "%d/%m/%Y"]


class SourceFileError(Exception):
    """A file that cannot be read at all: kept, recorded with this message, retried next run."""

    def __init__(self, file: str, line: int | None, column: str | None, problem: str) -> None:
        self.file, self.line, self.column, self.problem = file, line, column, problem
        where = file + (f", line {line}" if line else "") + (f", field {column}" if column else "")
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Source:
    name: str
    title_vi: str
    title_en: str
    datasets: dict[str, str]  # dataset -> glob below <landing>/<name>/
    readers: Mapping[str, Callable[[str | Path], pl.DataFrame]]
    cadence: str  # daily | monthly | quarterly | yearly: how often an extract is expected
    # datasets in the order they must be staged (a rating needs its dossier first)
    order: tuple[str, ...] = field(default=())
    # completeness: the period an extract file covers, from its name ((start, end) or None);
    # by default the day stamped in the name. An extract is on time if delivered
    # (its name's delivery stamp) within ``due_days`` after the period ends.
    period_of: Callable[[str], tuple[date, date] | None] | None = None
    due_days: int = 1
    # the dataset whose deliveries completeness tracks (default: the first in order)
    tracked_dataset: str | None = None
    # file names match the datasets' globs whatever their case (the systems export from Windows,
    # where HOSO_20250101.JSONL and hoso_20250101.jsonl are the same name)
    names_ignore_case: bool = True
    # optional: a reader of many files at once (one engine pass) for a big dataset, giving each
    # file's frame as ``readers`` would, or None where the file must be read alone by ``readers``;
    # given the paths and each file's lines as counted when it was taken (None: not counted)
    batch_readers: Mapping[
        str, Callable[[list[str], list[int | None]], list[pl.DataFrame | None]]
    ] = field(default_factory=dict)
    # optional: that one pass into a temporary table of the warehouse's connection, for a dataset
    # staged in SQL (``transforms.staging.step.SqlStaging``): given the connection, the table's
    # name, the paths and their counted lines, it returns the files whose rows it vouches for,
    # by path (``sources.json_batch.load_json_lines_batch``); the others are read by ``readers``
    table_readers: Mapping[str, Callable[..., Mapping[str, Any]]] = field(default_factory=dict)

    def dataset_order(self) -> tuple[str, ...]:
        return self.order or tuple(self.datasets)


def decode_text(data: bytes, file: str) -> str:
    """Bytes of a text export -> str: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1258.

    Vietnamese agencies' older systems still export Windows-1258; UTF-16 comes
    from Excel's "Unicode text". Anything else is an error naming the file.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    head = data[:4096]
    if b"\x00" in head:  # UTF-16 without a byte-order mark: half the bytes of Vietnamese text are 0
        encoding = "utf-16-le" if head[1::2].count(0) >= head[0::2].count(0) else "utf-16-be"
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise SourceFileError(
                file, None, None, f"not UTF-8, UTF-16 or Windows-1258 text: {exc}"
            ) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:  # Windows-1258 writes tone marks as combining characters: compose them
        return unicodedata.normalize("NFC", data.decode("cp1258"))
    except UnicodeDecodeError as exc:
        raise SourceFileError(
            file, None, None, f"not UTF-8, UTF-16 or Windows-1258 text: {exc}"
        ) from exc


# Characters trimmed from both ends of every text value read: whitespace including no-break and
# ideographic spaces, zero-width spaces and byte-order marks (exports pad codes with them).
BLANKS = (
    " \t\n\v\f\r\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u200b\u200c\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff"
)


def trimmed(expr: pl.Expr) -> pl.Expr:
    """A text column with ``BLANKS`` trimmed from both ends."""
    return expr.str.strip_chars(BLANKS)


def trim_text(value: str) -> str:
    """A text value with ``BLANKS`` trimmed from both ends."""
    return value.strip(BLANKS)


def utf8_bytes(data: bytes, file: str) -> bytes:
    """Bytes of a text export as UTF-8 without byte-order marks (also one opening a later line, as
    when daily exports are concatenated); other encodings as ``decode_text`` reads them."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4096]:
        data = decode_text(data, file).encode("utf-8")
    else:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            data = decode_text(data, file).encode("utf-8")
    return data.replace(b"\n" + codecs.BOM_UTF8, b"\n").lstrip(codecs.BOM_UTF8)


SEPARATORS = (",", ";", "\t", "|")


def _header_fields(line: str, separator: str) -> list[str]:
    try:
        return [trim_text(f) for f in next(csv.reader([line], delimiter=separator))]
    except (csv.Error, StopIteration):
        return []


def choose_separator(header_line: str, columns: list[str], declared: str) -> str:
    """The separator that splits the header into the expected columns: the declared one, else
    whichever of ``SEPARATORS`` finds the most of them (an export re-saved with another one)."""
    found = {
        sep: len(set(columns) & set(_header_fields(header_line, sep)))
        for sep in dict.fromkeys((declared, *SEPARATORS))
    }
    best = max(found, key=lambda sep: (found[sep], sep == declared))
    return best if found[best] > found[declared] else declared


def _separator_note(header_line: str, separator: str) -> str:
    """What the header line says about its separator, for an error message."""
    counts = {sep: header_line.count(sep) for sep in SEPARATORS if header_line.count(sep)}
    if not counts:
        return (
            f"read with separator {separator!r}; the header line holds none of {list(SEPARATORS)}"
        )
    seen = max(counts, key=lambda sep: counts[sep])
    return (
        f"read with separator {separator!r}; the header line holds {seen!r} {counts[seen]} time(s)"
    )


JsonSchema = dict[str, pl.DataType | type[pl.DataType]]


def read_json_lines(path: str | Path, schema: JsonSchema) -> pl.DataFrame:
    """A JSON-lines export -> frame of ``schema`` plus ``_row`` (the line number) and ``_nested``.

    Byte-order marks and other encodings are handled as for text exports. A
    field of the schema that is text but was sent as a JSON object or list is
    never turned into text (an object may hold a name or a phone number): its
    value becomes null and ``_nested`` names the field(s), so staging can
    quarantine the row without quoting it. Text values are trimmed of ``BLANKS``.
    """
    file = str(path)
    return json_lines_frame(utf8_bytes(Path(path).read_bytes(), file), file, schema)


def json_lines_frame(data: bytes, file: str, schema: JsonSchema) -> pl.DataFrame:
    """UTF-8 JSON lines -> frame, as ``read_json_lines`` reads a file (``file`` names it in errors)."""
    out_schema: JsonSchema = {**schema, "_row": pl.Int64, "_nested": pl.String}
    if not data.strip():
        return pl.DataFrame(schema=out_schema)
    try:
        df = pl.read_ndjson(io.BytesIO(data), schema=schema)
    except Exception as exc:  # polars names no line (and may quote one): find it
        line, field = _first_bad_json_line(data, schema)
        raise SourceFileError(file, line, field, "not a JSON object per line") from exc
    lines = [n for n, text in enumerate(data.split(b"\n"), start=1) if text.strip()]
    df = df.with_columns(
        pl.Series("_row", lines[: df.height], dtype=pl.Int64),
        pl.lit(None, dtype=pl.String).alias("_nested"),
    )
    df = _null_nested(df, data, lines, schema)
    text = [name for name, dtype in schema.items() if dtype == pl.String]
    return df.with_columns(trimmed(pl.col(name)) for name in text).select(list(out_schema))


def _string_leaves(schema: JsonSchema) -> list[tuple[str, str | None]]:
    """(field, inner field or None) of every text value of a schema: top-level text fields and the
    text fields of lists of objects."""
    leaves: list[tuple[str, str | None]] = []
    for name, dtype in schema.items():
        if dtype == pl.String:
            leaves.append((name, None))
        elif isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct):
            leaves += [(name, f.name) for f in dtype.inner.fields if f.dtype == pl.String]
    return leaves


def _null_nested(
    df: pl.DataFrame, data: bytes, lines: list[int], schema: JsonSchema
) -> pl.DataFrame:
    """Null the text fields that were sent as an object or a list; name them in ``_nested``."""
    leaves = _string_leaves(schema)

    def looks_nested(name: str, inner: str | None) -> pl.Expr:
        value = pl.col(name) if inner is None else pl.element().struct.field(inner)
        shaped = value.str.starts_with("{") | value.str.starts_with("[")
        return shaped if inner is None else pl.col(name).list.eval(shaped).list.any()

    candidates = df.select(
        pl.any_horizontal([looks_nested(n, i).fill_null(False) for n, i in leaves])
    ).to_series()
    if not candidates.any():
        return df
    raw_lines = data.split(b"\n")
    nested: dict[int, list[str]] = {}
    for index in candidates.arg_true().to_list():
        record = json.loads(raw_lines[lines[index] - 1])
        for name, inner in leaves:
            value = record.get(name)
            if inner is None:
                bad = isinstance(value, dict | list)
            else:
                bad = isinstance(value, list) and any(
                    isinstance(item, dict) and isinstance(item.get(inner), dict | list)
                    for item in value
                )
            if bad and name not in nested.setdefault(index, []):
                nested[index].append(name)
    if not nested:
        return df
    flags = pl.Series(
        "_nested", [", ".join(nested.get(i, [])) or None for i in range(df.height)], pl.String
    )
    df = df.with_columns(flags)
    return df.with_columns(
        pl.when(pl.col("_nested").str.split(", ").list.contains(name))
        .then(pl.lit(None, dtype=df.schema[name]))
        .otherwise(pl.col(name))
        .alias(name)
        for name in {n for names in nested.values() for n in names}
    )


def _first_bad_json_line(data: bytes, schema: JsonSchema) -> tuple[int | None, str | None]:
    """(line, field) of the first record that is not JSON, not an object, or sends a list of objects
    as something else. Nothing of the record is quoted: it may hold personal data."""
    lists = [
        name
        for name, dtype in schema.items()
        if isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct)
    ]
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            return number, None
        if not isinstance(value, dict):
            return number, None
        for name in lists:
            items = value.get(name)
            if items is not None and not (
                isinstance(items, list) and all(isinstance(i, dict) for i in items)
            ):
                return number, name
    return None, None


def choose_sheet(file: str, named: str, with_header: list[str], header: str) -> str:
    """The sheet a workbook format reads: the one it names, else the only sheet with its header.

    Never a silent choice: when another sheet also carries the header (a
    working copy such as "Sheet1 (2)" left in the workbook), the file is an
    error naming every such sheet. ``with_header`` lists the sheets whose
    first rows hold ``header``; it is not empty.
    """
    others = [s for s in with_header if s != named]
    if not others:
        return named
    if named not in with_header and len(others) == 1:
        return others[0]
    listed = ", ".join(f"'{s}'" for s in with_header)
    raise SourceFileError(
        file,
        None,
        f"sheets {listed}",
        f"{len(with_header)} sheets carry the header {header!r}; the format reads one "
        f"(sheet '{named}') and will not guess which: send the workbook with only that sheet",
    )


def read_csv_text(
    path: str | Path, columns: list[str], separator: str = ",", optional: Sequence[str] = ()
) -> pl.DataFrame:
    """A CSV export -> frame of strings with exactly ``columns`` plus ``_row`` (data line number).

    Columns may come in any order; extra columns are ignored; a missing column
    is an error naming the file, the column and the separator the header line
    holds, unless it is ``optional`` (a field newer exports add): then it is
    read as empty. The separator is the declared one unless another of ``SEPARATORS``
    splits the header into more of the expected columns (a re-saved export).
    Values are trimmed of ``BLANKS`` (no-break spaces included). A header-only
    or empty file gives an empty frame.
    """
    file = str(path)
    text = decode_text(Path(path).read_bytes(), file)
    if not text.strip():
        return pl.DataFrame(schema={**{c: pl.String for c in columns}, "_row": pl.Int64})
    header_line = text.split("\n", 1)[0].rstrip("\r")
    separator = choose_separator(header_line, columns, separator)
    try:
        df = pl.read_csv(
            io.StringIO(text),
            separator=separator,
            infer_schema=False,
            truncate_ragged_lines=False,
        )
    except (
        Exception
    ) as exc:  # the parser's message quotes the line (personal data): say where instead
        line, problem = _bad_record(text, separator)
        raise SourceFileError(file, line, None, f"cannot parse CSV: {problem}") from exc
    header = [trim_text(h) for h in df.columns]
    df.columns = header
    absent = [c for c in optional if c in columns and c not in header]
    if absent:
        df = df.with_columns([pl.lit(None, dtype=pl.String).alias(c) for c in absent])
        header = [*header, *absent]
    if not text.endswith(("\n", "\r")):  # the last line has no line break: is it whole?
        line, width = _last_record(text, separator)
        if width < len(header):
            raise SourceFileError(
                file,
                line,
                ", ".join(header[width:]),
                f"the last line has {width} of {len(header)} fields: the file is cut short",
            )
    missing = [c for c in columns if c not in header]
    if missing:
        raise SourceFileError(
            file,
            1,
            ", ".join(missing),
            f"missing column(s); header is {header} ({_separator_note(header_line, separator)})",
        )
    return (  # one query, not one a step (a year of daily files: 0.3 s of a first load)
        df.lazy()
        .select([trimmed(pl.col(c)) for c in columns])
        .with_row_index("_row", offset=1)
        .with_columns(pl.col("_row").cast(pl.Int64))
        .filter(
            ~pl.all_horizontal(pl.col(columns).fill_null("") == "")
        )  # a blank line is no record
        .collect()
    )


def _shape(text: str, separator: str) -> tuple[list[tuple[int, int]], tuple[int, str] | None]:
    """(line each record starts on, its number of fields), and where and why reading stopped, if it
    did. Only for files the fast path finds wrong: nothing here quotes a value (it may be personal)."""
    reader = csv.reader(io.StringIO(text), delimiter=separator, strict=True)
    shape: list[tuple[int, int]] = []
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return shape, None
        except csv.Error as exc:
            return shape, (start, f"a quoted field is not closed or a quote is not escaped ({exc})")
        if any(field.strip() for field in record):  # a blank line is no record
            shape.append((start, len(record)))


def _bad_record(text: str, separator: str) -> tuple[int | None, str]:
    """The line a CSV the parser refused goes wrong on, and how."""
    shape, stopped = _shape(text, separator)
    width = shape[0][1] if shape else 0
    longer = next(((line, n) for line, n in shape[1:] if n > width), None)
    if longer and (stopped is None or longer[0] < stopped[0]):
        return longer[0], f"{longer[1]} fields where the header has {width}"
    if stopped:
        return stopped[0], stopped[1] + ": the file may be cut mid-record"
    return None, "malformed CSV"


def _last_record(text: str, separator: str) -> tuple[int, int]:
    """(line it starts on, number of fields) of the last record."""
    shape, stopped = _shape(text, separator)
    if stopped:
        return stopped[0], 0
    return shape[-1] if shape else (1, 0)


def file_date(name: str) -> date | None:
    """The date stamped in an extract file's name (``..._YYYYMMDD.ext``), if any."""
    stem = name.rsplit(".", 1)[0]
    digits = stem.rsplit("_", 1)[-1]
    if len(digits) == 8 and digits.isdigit():
        try:
            return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        except ValueError:
            return None
    return None
