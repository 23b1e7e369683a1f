"""Read the ``ict`` inventory workbooks into raw Polars frames, every cell as text.

The workbook has a title block above its header row, whose "(Số liệu tính đến
ngày dd/mm/yyyy)" line is added to every row as ``Số liệu tính đến ngày`` (the
date the inventory describes: an unchanged system is still a new row in the
next quarter's inventory). The header row is found
by its "Mã hệ thống" cell, headers are matched after trimming and joining
wrapped lines, and columns may come in any order. Dates typed as Excel dates
become ``YYYY-MM-DD``; dates typed as text stay as typed (staging reads both).
``_row`` is the sheet's row number, so an operator can find a quarantined row.
"""

from __future__ import annotations

import io
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
from openpyxl import load_workbook

from sources.base import SourceFileError, choose_sheet, file_date, trim_text
from sources.ict import constants as c

SCHEMA = {**{col: pl.String for col in c.RAW_COLUMNS}, "_row": pl.Int64}


def header_text(value: object) -> str:
    """A header cell as compared: NFC, wrapped lines joined, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", str(value or "")).split())


def cell_text(value: object) -> str | None:
    """A cell as the text it shows (dates as ISO), None when empty."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime(
            "%Y-%m-%d" if value.time() == datetime.min.time() else "%Y-%m-%d %H:%M:%S"
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = trim_text(unicodedata.normalize("NFC", str(value)))
    return text or None


def empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


HEADER_SEARCH_ROWS = 30  # the header row lies within the first rows of a sheet


def read_rows(path: str | Path) -> list[tuple]:
    """Every row of the inventory sheet, as cell values.

    The sheet read is ``constants.SHEET``, else the only sheet with a header
    row; a second sheet with the header (a working copy) is an error naming both.
    """
    data = Path(path).read_bytes()
    if not data.strip():
        return []
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a zip that is no workbook, a workbook openpyxl cannot open
        raise SourceFileError(str(path), None, None, f"not an Excel workbook: {exc}") from exc
    try:
        with_header = [
            ws.title
            for ws in workbook.worksheets
            if any(
                header_text(v) == c.CODE
                for row in ws.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)
                for v in row
            )
        ]
        if not with_header:  # read the named (or first) sheet: its error names what is missing
            name = c.SHEET if c.SHEET in workbook.sheetnames else workbook.worksheets[0].title
        else:
            name = choose_sheet(str(path), c.SHEET, with_header, c.CODE)
        return [tuple(r) for r in workbook[name].iter_rows(values_only=True)]
    finally:
        workbook.close()


def read_systems(path: str | Path) -> pl.DataFrame:
    """One inventory workbook -> frame of strings with exactly the inventory columns plus ``_row``."""
    rows = read_rows(path)
    if not rows:
        return empty_frame()
    header_at = next(
        (i for i, r in enumerate(rows) if any(header_text(v) == c.CODE for v in r)), None
    )
    if header_at is None:
        raise SourceFileError(
            str(path), None, c.CODE, "no header row (no cell reads 'Mã hệ thống')"
        )
    header = [header_text(v) for v in rows[header_at]]
    missing = [col for col in c.SYSTEM_COLUMNS if col not in header]
    if missing:
        raise SourceFileError(
            str(path),
            header_at + 1,
            ", ".join(missing),
            f"missing column(s); header is {[h for h in header if h]}",
        )
    position = {col: header.index(col) for col in c.SYSTEM_COLUMNS}
    as_of = inventory_date(rows[:header_at])
    records = []
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        cells = {col: cell_text(row[i]) if i < len(row) else None for col, i in position.items()}
        if all(v is None for col, v in cells.items() if col != c.ROW_NO):
            continue  # blank line, or a footer ("Tổng số: ...") written in the first column
        records.append({**cells, c.AS_OF: as_of, "_row": number})
    return pl.DataFrame(records, schema=SCHEMA, orient="row") if records else empty_frame()


def inventory_date(title_rows: list[tuple]) -> str | None:
    """The date in "(Số liệu tính đến ngày dd/mm/yyyy)" above the header, as written."""
    for row in title_rows:
        for value in row:
            match = c.AS_OF_PATTERN.search(header_text(value))
            if match:
                return match.group(1)
    return None


def quarter_of(name: str) -> tuple[date, date] | None:
    """``DanhMucHTTT_YYYYQn_YYYYMMDD.xlsx`` -> the quarter whose end the inventory describes."""
    match = c.FILE_NAME.match(name)
    if not match or file_date(name) is None:
        return None
    year, quarter = int(match.group(1)), int(match.group(2))
    first = date(year, 3 * quarter - 2, 1)
    following = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, following - timedelta(days=1)


READERS = {"system": read_systems}
