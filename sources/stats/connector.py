"""Read the statistics office's GRDP / digital-economy workbook into a tidy frame of strings.

One row per published value cell: the area named in the title, the status
line, the indicator row (STT, Chỉ tiêu, Đơn vị tính) and the period read from
the merged two-row header ("Năm 2025" over "Quý I" ... "Cả năm"), with the
value as the text it holds. Typing and code lists are staging's job. A
workbook whose layout is not recognised raises ``SourceFileError`` naming the
sheet and the cell.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import polars as pl
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sources.base import SourceFileError, choose_sheet, trim_text
from sources.stats import constants as c

SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    **{col: pl.String for col in c.COLUMNS},
    "_row": pl.Int64,
}


def normalise(value: object) -> str | None:
    """Cell text for matching: NFC, single spaces, trimmed, lower case; None when empty."""
    if value is None:
        return None
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(value))).strip()
    return text.lower() or None


def cell_text(value: object) -> str | None:
    """A value cell as text, exactly enough to type it later (no float rounding)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    text = trim_text(unicodedata.normalize("NFC", str(value)))
    return None if text.lower() in c.NOT_AVAILABLE else text


def empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def merged_ranges(ws: Worksheet) -> dict[tuple[int, int], tuple[int, int, int, int]]:
    """(row, column) of every cell inside a merged range -> (min_row, min_col, max_row, max_col)."""
    out: dict[tuple[int, int], tuple[int, int, int, int]] = {}
    for rng in ws.merged_cells.ranges:
        bounds = (rng.min_row, rng.min_col, rng.max_row, rng.max_col)
        for row in range(rng.min_row, rng.max_row + 1):
            for col in range(rng.min_col, rng.max_col + 1):
                out[(row, col)] = bounds
    return out


def find_header(ws: Worksheet) -> tuple[int, int] | None:
    """(row, column) of the 'Chỉ tiêu' header cell in the first rows, if any."""
    for row in ws.iter_rows(min_row=1, max_row=c.HEADER_SEARCH_ROWS):
        for cell in row:
            if normalise(cell.value) == c.LABEL_HEADER:
                return cell.row, cell.column
    return None


def _where(ws: Worksheet, row: int, col: int) -> str:
    return f"sheet '{ws.title}' cell {get_column_letter(col)}{row}"


def read_title(ws: Worksheet, header_row: int, file: str) -> tuple[str, str | None]:
    """The area named in the title rows (e.g. 'Tỉnh Hậu Giang') and the status line, if any."""
    area = release = None
    for row in ws.iter_rows(min_row=1, max_row=header_row - 1):
        for cell in row:
            text = normalise(cell.value)
            if not text:
                continue
            if area is None and (m := c.TITLE_AREA.search(text)):
                area = f"{m.group(1).capitalize()} {m.group(2).title()}"
            if release is None and (m := re.search(r"(số liệu [^)(]+)", text)):
                release = m.group(1).strip().capitalize()
    if area is None:
        raise SourceFileError(
            file,
            1,
            f"sheet '{ws.title}' rows 1-{header_row - 1}",
            "the title names no province ('... TỈNH <tên>')",
        )
    return area, release


def value_columns(
    ws: Worksheet, header_row: int, first_col: int, file: str
) -> tuple[dict[int, str], int]:
    """Column -> canonical period ('2025-Q1' or '2025') from the header, and the first data row."""
    merged = merged_ranges(ws)

    def shown(row: int, col: int) -> object:
        """What the reader sees in a header cell: a merged range shows its top-left value."""
        top_row, top_col = merged.get((row, col), (row, col))[:2]
        return ws.cell(top_row, top_col).value

    def header(row: int, col: int) -> str | None:
        return normalise(shown(row, col))

    label_col = next(
        col for col in range(1, ws.max_column + 1) if header(header_row, col) == c.LABEL_HEADER
    )
    label_below = ws.cell(header_row + 1, label_col).value
    two_rows = label_below is None or (header_row + 1, label_col) in merged
    periods: dict[int, str] = {}
    year: int | None = None
    for col in range(first_col, ws.max_column + 1):
        top = header(header_row, col)
        spans_both = (header_row, col) in merged and merged[(header_row, col)][2] > header_row
        sub = header(header_row + 1, col) if two_rows and not spans_both else None
        if top is None and sub is None:
            continue
        if top is not None:
            m = c.YEAR_HEADER.match(top)
            if not m:
                raise SourceFileError(
                    file,
                    header_row,
                    _where(ws, header_row, col),
                    f"year header {shown(header_row, col)!r} not recognised (expected 'Năm YYYY')",
                )
            year = int(m.group(1))
        if year is None:
            raise SourceFileError(
                file, header_row, _where(ws, header_row, col), "period column without a year header"
            )
        if sub is None:
            periods[col] = str(year)
        elif sub in c.PERIOD_HEADERS:
            quarter = c.PERIOD_HEADERS[sub]
            periods[col] = f"{year}-Q{quarter}" if quarter else str(year)
        else:
            raise SourceFileError(
                file,
                header_row + 1,
                _where(ws, header_row + 1, col),
                f"period header {shown(header_row + 1, col)!r} not recognised (expected Quý I..IV or Cả năm)",
            )
    if not periods:
        raise SourceFileError(
            file, header_row, _where(ws, header_row, first_col), "no period columns in the header"
        )
    return periods, header_row + (2 if two_rows else 1)


def read_sheet(ws: Worksheet, file: str) -> list[dict[str, str | None]]:
    found = find_header(ws)
    if found is None:  # checked by the caller
        return []
    header_row, label_col = found
    heads = {normalise(ws.cell(header_row, col).value): col for col in range(1, ws.max_column + 1)}
    code_col, unit_col = heads.get(c.CODE_HEADER), heads.get(c.UNIT_HEADER)
    first_value_col = max(col for col in (label_col, code_col, unit_col) if col) + 1
    area, release = read_title(ws, header_row, file)
    periods, first_data_row = value_columns(ws, header_row, first_value_col, file)
    rows: list[dict[str, str | None]] = []
    for r in range(first_data_row, ws.max_row + 1):
        label = ws.cell(r, label_col).value
        if label is None or not str(label).strip():
            break  # the table ends at the first row without an indicator; notes follow
        base = {
            "sheet": ws.title,
            "area": area,
            "release": release,
            "measure_code": cell_text(ws.cell(r, code_col).value) if code_col else None,
            "measure": unicodedata.normalize("NFC", str(label)).strip(),
            "unit": cell_text(ws.cell(r, unit_col).value) if unit_col else None,
        }
        for col, period in periods.items():
            text = cell_text(ws.cell(r, col).value)
            if text is None:
                continue  # not published for this period
            rows.append(
                {**base, "cell": f"{get_column_letter(col)}{r}", "period": period, "value": text}
            )
    return rows


def read_grdp_table(path: str | Path) -> pl.DataFrame:
    """A GRDP / digital-economy workbook -> tidy frame of strings with ``_row`` (1-based cell order).

    The sheet read is ``constants.SHEET``, else the only sheet with the table's
    header; a second sheet with the header (a working copy) is an error naming both.
    """
    file = str(path)
    if Path(path).stat().st_size == 0:
        return empty_frame()
    try:
        wb = load_workbook(file, data_only=True)
    except Exception as exc:
        raise SourceFileError(file, None, None, f"not a readable Excel workbook: {exc}") from exc
    sheets = [ws for ws in wb.worksheets if find_header(ws)]
    if not sheets:
        first = wb.worksheets[0].title if wb.worksheets else "?"
        raise SourceFileError(
            file,
            None,
            f"sheet '{first}'",
            f"no header cell 'Chỉ tiêu' in the first {c.HEADER_SEARCH_ROWS} rows of any sheet",
        )
    chosen = choose_sheet(file, c.SHEET, [ws.title for ws in sheets], "Chỉ tiêu")
    rows = read_sheet(wb[chosen], file)
    if not rows:
        return empty_frame()
    return (
        pl.DataFrame(rows, schema={col: pl.String for col in c.COLUMNS})
        .with_row_index("_row", offset=1)
        .with_columns(pl.col("_row").cast(pl.Int64))
        .select(list(SCHEMA))
    )


READERS = {"quarterly": read_grdp_table, "yearly": read_grdp_table}
