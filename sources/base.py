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
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

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


def read_csv_text(
    path: str | Path, columns: list[str], separator: str = ",", optional: Sequence[str] = ()
) -> pl.DataFrame:
    """A CSV export -> frame of strings with exactly ``columns`` plus ``_row`` (data line number).

    Columns may come in any order; extra columns are ignored; a missing column
    is an error naming the file and the column, unless it is ``optional`` (a
    field newer exports add): then it is read as empty. A header-only or empty
    file gives an empty frame.
    """
    file = str(path)
    text = decode_text(Path(path).read_bytes(), file)
    if not text.strip():
        return pl.DataFrame(schema={**{c: pl.String for c in columns}, "_row": pl.Int64})
    if separator == "," and "\t" in text.split("\n", 1)[0] and "," not in text.split("\n", 1)[0]:
        separator = "\t"
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
    header = [h.strip() for h in df.columns]
    df.columns = header
    if not text.endswith(("\n", "\r")):  # the last line has no line break: is it whole?
        line, width = _last_record(text, separator)
        if width < len(header):
            raise SourceFileError(
                file,
                line,
                ", ".join(header[width:]),
                f"the last line has {width} of {len(header)} fields: the file is cut short",
            )
    absent = [c for c in optional if c in columns and c not in header]
    if absent:
        df = df.with_columns([pl.lit(None, dtype=pl.String).alias(c) for c in absent])
        header = [*header, *absent]
    missing = [c for c in columns if c not in header]
    if missing:
        raise SourceFileError(file, 1, ", ".join(missing), f"missing column(s); header is {header}")
    return (
        df.select([pl.col(c).str.strip_chars() for c in columns])
        .with_row_index("_row", offset=1)
        .with_columns(pl.col("_row").cast(pl.Int64))
        .filter(
            ~pl.all_horizontal(pl.col(columns).fill_null("") == "")
        )  # a blank line is no record
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
