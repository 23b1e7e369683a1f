"""Write–audit–publish of the warehouse file.

A run never writes the file analysts read. It copies the published warehouse
to a private build file (``build/chiso-<run_id>.duckdb``), loads and rebuilds
there, audits, checkpoints and closes it, and only then moves it over the
published file with one ``os.replace``: readers that have the old file open
keep their snapshot, new readers see the new one, nobody sees a half-built
state, and a run that dies before publishing leaves the published file as it
was. A retried run finds its build file and goes on from there.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

SCHEMA_SQL = Path(__file__).with_name("schema.sql")


MEMORY_LIMIT = "800MB"  # DuckDB's own cap for the writer; it spills to disk beyond it


class PublishError(Exception):
    """The build cannot be published (audit failed, file unsafe to move, a newer publish raced it)."""


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), read_only=read_only)
    if not read_only:
        con.execute("set preserve_insertion_order = false")
        con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
    return con


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SCHEMA_SQL.read_text())


def published_run_id(path: Path) -> str | None:
    """The run that built the published file (None if nothing is published yet)."""
    if not path.exists():
        return None
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute(
            "select run_id from audit.run where status like 'published%' order by finished_at desc limit 1"
        ).fetchone()
    except duckdb.CatalogException:
        row = None
    finally:
        con.close()
    return row[0] if row else None


def prepare_build(published: Path, build: Path) -> Path:
    """Make the run's private build file: a copy of the published warehouse, or a new one.

    Idempotent: a retried run keeps the build file it already has.
    """
    build.parent.mkdir(parents=True, exist_ok=True)
    if build.exists():
        return build
    wal = Path(str(published) + ".wal")
    if wal.exists():
        raise PublishError(
            f"{wal} exists: someone holds the published warehouse read-write. "
            "Analysts must open it read-only (duckdb.connect(path, read_only=True))."
        )
    tmp = build.with_suffix(".copying")
    if published.exists():
        shutil.copyfile(published, tmp)
    else:
        duckdb.connect(str(tmp)).close()
    os.replace(tmp, build)
    con = connect(build)
    try:
        ensure_schema(con)
    finally:
        con.close()
    return build


def publish(build: Path, published: Path, expected_base: str | None) -> Path:
    """Atomically replace the published warehouse with the audited build file.

    ``expected_base`` is the published run the build was copied from; if
    another run published in between, this build would discard its work, so
    it refuses.
    """
    if not build.exists():
        raise PublishError(f"build file {build} is missing")
    if Path(str(build) + ".wal").exists():
        raise PublishError(f"{build}.wal exists: the build was not checkpointed and closed")
    current = published_run_id(published)
    if current != expected_base:
        raise PublishError(
            f"the published warehouse changed during this run (built on {expected_base}, "
            f"now {current}); run the pipeline again"
        )
    published.parent.mkdir(parents=True, exist_ok=True)
    os.replace(build, published)
    return published


def checkpoint_and_close(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("checkpoint")
    con.close()


@contextmanager
def session(path: str | Path, transaction: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """``with session(build) as con:`` — one unit of work on a warehouse file.

    Opens the file read-write, begins a transaction (unless ``transaction`` is
    false, for work that manages its own), commits if the block ends normally,
    checkpoints and closes. If the block raises, the transaction is rolled
    back and the *original* error propagates: nothing of the block is kept,
    and no checkpoint of a failed transaction hides the cause.
    """
    con = connect(path)
    try:
        if transaction:
            con.begin()
        try:
            yield con
        except BaseException:
            if transaction:
                try:
                    con.rollback()
                except duckdb.Error:
                    pass  # the transaction is already gone; the original error matters
            raise
        if transaction:
            con.commit()
        con.execute("checkpoint")
    finally:
        con.close()


def append_frame(con: duckdb.DuckDBPyConnection, table: str, df: pl.DataFrame) -> int:
    """Append a Polars frame to a table, creating the table from the frame's schema the first time."""
    con.register("_frame", df)
    try:
        con.execute(f"create table if not exists {table} as select * from _frame limit 0")
        cols = ", ".join(f'"{c}"' for c in df.columns)
        con.execute(f"insert into {table} ({cols}) select {cols} from _frame")
    finally:
        con.unregister("_frame")
    return df.height


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> Any:
    """The first value of the first row of a query (None if it returns no row)."""
    row = con.execute(sql, params or []).fetchone()
    return row[0] if row else None


def existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every table and view of the file, as ``schema.name``."""
    rows = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables"
    ).fetchall()
    return {r[0] for r in rows}


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    rows = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()  # fetch to the end: DuckDB refuses register() while a result is open
    return bool(rows[0][0])
