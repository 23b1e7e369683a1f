"""Read the national portal's 766 answers (recorded or pulled pages) into raw frames of strings.

A page is the portal's JSON answer as received; its ``data.items`` become one
row each, every field as text (``null`` stays null, never 0), ``_row`` the
item's position. Typing happens in staging.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from sources.base import SourceFileError
from sources.national766 import constants as c


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def read_page(path: str | Path) -> pl.DataFrame:
    """One answer page -> frame with ``constants.ITEM_FIELDS`` (strings) and ``_row``."""
    file = str(path)
    try:
        payload = json.loads(Path(path).read_bytes())
    except ValueError as exc:
        raise SourceFileError(file, None, None, f"not JSON: {exc}") from None
    data = payload.get("data") if isinstance(payload, dict) else None
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise SourceFileError(file, None, "data.items", "not a 766 answer: no data.items list")
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise SourceFileError(file, number, None, "an item is not a JSON object")
    rows = [[_text(item.get(f)) for f in c.ITEM_FIELDS] for item in items]
    frame = pl.DataFrame(rows, schema={f: pl.String for f in c.ITEM_FIELDS}, orient="row")
    return frame.with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64))


READERS = {"evaluation": read_page}
