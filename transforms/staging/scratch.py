"""Stage a landing zone into a scratch build, with the real extract and staging, and tell each row's fate.

What would tonight's run do with these files? ``row_fates`` answers row by
row, without touching any warehouse: it extracts and stages a source's files
into a throw-away build exactly as the nightly does, then reads back where
each row went — loaded, quarantined (with its rule) or duplicate — with its
content hash. The fault injector (``sources/faults.py``) uses it to pick rows
whose corruption changes nothing else.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from sources.base import Source
from sources.extract import extract
from transforms.staging.run import Steps, load_reference, stage_source
from warehouse.build import connect, ensure_schema, table_exists

FATE_SCHEMA = {
    "file": pl.String,  # path relative to the landing zone
    "row": pl.Int64,
    "fate": pl.String,  # loaded | quarantined | duplicate | duplicate_file
    "row_hash": pl.String,  # content hash (loaded and duplicate rows)
}


@dataclass(frozen=True)
class Fates:
    rows: dict[str, pl.DataFrame]  # dataset -> one row per row read (FATE_SCHEMA)
    rows_read: dict[str, int]  # file (landing-relative) -> rows read
    twins: set[str]  # files that have a byte-identical copy in the landing zone (either side)


def row_fates(landing: Path, source: Source, steps: Steps, key: bytes = b"chiso-scratch") -> Fates:
    """Every row of ``source``'s files in ``landing``, and what the nightly's staging does with it."""
    landing = Path(landing)
    with tempfile.TemporaryDirectory(prefix="chiso-scratch-") as tmp:
        con = connect(Path(tmp) / "scratch.duckdb")
        try:
            ensure_schema(con)
            load_reference(con)
            extract(con, source, str(landing), Path(tmp) / "raw", "scratch")
            stage_source(con, source, steps, key, "scratch")
            files = {
                fid: (dataset, Path(url).relative_to(landing).as_posix(), status, dup, read)
                for fid, dataset, url, status, dup, read in con.execute(
                    "select file_id, dataset, url, status, duplicate_of, rows_read from meta.manifest"
                ).fetchall()
            }
            twins = {files[d][1] for *_, d, _ in files.values() if d} | {
                rel for _, rel, _, d, _ in files.values() if d
            }
            frames: dict[str, list[pl.DataFrame]] = {}
            for dataset in source.dataset_order():
                ids = [fid for fid, f in files.items() if f[0] == dataset and f[2] == "loaded"]
                table = steps[dataset].table
                if ids and table_exists(con, table):
                    frames.setdefault(dataset, []).append(
                        _frame(
                            con,
                            f"select _file_id, _row, 'loaded', _row_hash from {table} where _file_id in ?",
                            ids,
                        )
                    )
                if ids:
                    frames.setdefault(dataset, []).append(
                        _frame(
                            con,
                            "select file_id, \"row\", 'quarantined', null from audit.quarantine where file_id in ?",
                            ids,
                        )
                    )
                    frames.setdefault(dataset, []).append(
                        _frame(
                            con,
                            "select file_id, \"row\", 'duplicate', row_hash from audit.duplicate_row where file_id in ?",
                            ids,
                        )
                    )
            rows = {
                d: pl.concat(parts).with_columns(
                    pl.col("file").replace_strict(
                        {fid: f[1] for fid, f in files.items()}, default=None
                    )
                )
                for d, parts in frames.items()
            }
            rows_read = {f[1]: f[4] or 0 for f in files.values() if f[2] in ("loaded", "duplicate")}
        finally:
            con.close()
    return Fates(rows, rows_read, twins)


def _frame(con: object, sql: str, ids: list[str]) -> pl.DataFrame:
    return pl.DataFrame(con.execute(sql, [ids]).fetchall(), schema=FATE_SCHEMA, orient="row")  # type: ignore[attr-defined]
