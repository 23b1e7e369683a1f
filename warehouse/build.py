"""Write–audit–publish of the warehouse file.

A run never writes the file analysts read. It copies the published warehouse
to a private build file (``build/chiso-<run_id>.duckdb``), loads and rebuilds
there, audits, checkpoints and closes it, and only then moves it over the
published file with one ``os.replace``: readers that have the old file open
keep their snapshot, new readers see the new one, nobody sees a half-built
state, and a run that dies before publishing leaves the published file as it
was. A retried run finds its build file and goes on from there. The copy is
usually made before the night starts: after each publish a process of its own
copies the published file for the next night (``warehouse/spare.py``), which
takes it by a rename if the published file is still the one copied.

Publishing is locked: the check that the published file is still the one the
build started from and the replace happen under an exclusive ``flock`` on
``<published>.lock``, so of two runs publishing at once one wins and the other
gets ``PublishConflict`` (it waits for the lock up to ``PUBLISH_WAIT_SECONDS``,
then gets ``PublishBusy``); a publish is never silently overwritten.

Every file and folder made here is private to the account running the
pipeline (0600 / 0700).

In a long-lived process (a notebook, a dashboard) ``connect_published`` is
the way to read: DuckDB keeps one database instance per path per process, so
while any connection of the process holds the published file open, a plain
``duckdb.connect(path)`` returns that same, old instance even after a publish
replaced the file. ``connect_published`` attaches the file afresh each time.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

SCHEMA_SQL = Path(__file__).with_name("schema.sql")


MEMORY_LIMIT = "800MB"  # DuckDB's own cap for the writer; it spills to disk beyond it


PUBLISH_WAIT_SECONDS = 120.0  # how long a publisher waits for another one to finish


class PublishError(Exception):
    """The build cannot be published (audit failed, file unsafe to move, a newer publish raced it)."""


class PublishConflict(PublishError):
    """Another run published since this build was copied: publishing it would discard that work.
    Nothing was published; the run must be rebuilt from the current warehouse."""


class PublishBusy(PublishError):
    """Another run held the publish lock longer than the wait allowed. Nothing was published."""


def private_folder(path: Path) -> Path:
    """Create ``path`` and its missing parents readable by the owner only (0700)."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            pass
    return missing[0] if missing else path


COPY_CHUNK = 1 << 27  # bytes copied before their write to disk is started


def private_copy(source: Path, target: Path) -> None:
    """Copy ``source`` to a new file ``target`` created 0600 (never readable by others, not even
    for the time of a chmod).

    In the kernel (no bytes through Python: the warehouse is gigabytes), a chunk at a time,
    each chunk's write to disk started as soon as it is copied (``start_writeback``): DuckDB's
    first checkpoint of the build syncs the file, and gigabytes of the copy still in memory
    then waited for the disk (1.8 GB at scale 8: copy 2.0 s + sync 0.9 s; this way 1.3 s)."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
        done = 0
        try:
            while sent := os.sendfile(out.fileno(), src.fileno(), None, COPY_CHUNK):
                start_writeback(out.fileno(), done, sent)
                done += sent
        except OSError:  # a file system without in-kernel copy: blocks from where it stopped
            shutil.copyfileobj(src, out, 1 << 22)


def _sync_file_range() -> Any:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        call = libc.sync_file_range
    except (OSError, AttributeError):  # not Linux
        return None
    call.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    return call


_SYNC_FILE_RANGE = _sync_file_range()
SYNC_FILE_RANGE_WRITE = 2


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Start writing a range of the file to disk without waiting for it (Linux
    ``sync_file_range``; elsewhere nothing: the later sync writes it all)."""
    if _SYNC_FILE_RANGE is not None:
        _SYNC_FILE_RANGE(fd, offset, length, SYNC_FILE_RANGE_WRITE)


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to a warehouse file; read-write ones capped at ``MEMORY_LIMIT`` and with
    the checkpoints' vacuum left to ``compact`` (``VACUUM_TASKS``)."""
    con = duckdb.connect(str(path), read_only=read_only)
    if not read_only:
        con.execute("set preserve_insertion_order = false")
        con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
        con.execute("set max_vacuum_tasks = 0")  # (a global setting: the file's instance)
    return con


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    rename_value_history(con)
    con.execute(SCHEMA_SQL.read_text())


def rename_value_history(con: duckdb.DuckDBPyConnection) -> None:
    """An older warehouse kept every run's values as ``audit.indicator_history``; that name is now
    the log of changed values: the old table becomes ``audit.indicator_value_by_run``."""
    columns = {
        r[0]
        for r in con.execute(
            """select column_name from information_schema.columns
               where table_schema = 'audit' and table_name = 'indicator_history'"""
        ).fetchall()
    }
    if columns and "reason" not in columns:
        con.execute("alter table audit.indicator_history rename to indicator_value_by_run")


def connect_published(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse as it is on disk now.

    Each call opens the file afresh (an in-memory database with the file
    attached read-only as ``chiso`` and made the default), so in a long-lived
    process every new connection sees the latest publish, whatever other
    connections of the process still hold. A connection keeps the snapshot it
    opened until it is closed. Queries name tables as usual (``mart.scorecard``).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no published warehouse at {path}")
    con = duckdb.connect()
    try:
        con.execute("attach ? as chiso (read_only)", [str(path)])
        con.execute("use chiso")
    except BaseException:
        con.close()
        raise
    return con


def published_run_id(path: Path) -> str | None:
    """The run that built the published file (None if nothing is published yet)."""
    if not path.exists():
        return None
    con = connect_published(path)
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
    """Make the run's private build file: a copy of the published warehouse, or a new one
    (``copy_for_build``, which also says how it was made)."""
    return copy_for_build(published, build).path


@dataclass(frozen=True)
class Copied:
    """A run's build file and how ``copy_for_build`` got it, for the run's log."""

    path: Path
    how: str
    warn: bool = False  # something an operator should look at (the spare's copy failed)


def copy_for_build(published: Path, build: Path) -> Copied:
    """Make the run's private build file: a copy of the published warehouse, or a new one.

    The copy is the spare made after the last publish if it is one of the published file as
    it is now (``warehouse.spare.take_spare``), else made here; ``how`` says which, and why
    the spare was not taken.

    Idempotent: a retried run keeps the build file it already has.
    """
    private_folder(build.parent)
    if build.exists():
        return Copied(build, "the build file this run has already")
    wal = Path(str(published) + ".wal")
    if wal.exists():
        raise PublishError(
            f"{wal} exists: someone holds the published warehouse read-write. "
            "Analysts must open it read-only (duckdb.connect(path, read_only=True))."
        )
    tmp = build.with_suffix(".copying")
    from warehouse.spare import take_spare  # (here: warehouse.spare imports this module)

    if published.exists():
        spare = take_spare(published, build.parent, tmp)
        if spare:  # (by a rename)
            copied = Copied(build, spare.why)
        else:
            started = time.monotonic()
            private_copy(published, tmp)
            copied = Copied(
                build,
                f"copied the published warehouse ({published.stat().st_size / 2**20:,.0f} MiB "
                f"in {time.monotonic() - started:.1f} s): {spare.why}",
                spare.failed,
            )
    else:
        # DuckDB creates its files itself (and refuses an empty one made for it): the pipeline's
        # umask (flows) makes them private; this covers callers without it
        duckdb.connect(str(tmp)).close()
        os.chmod(tmp, 0o600)
        copied = Copied(build, "a new warehouse: nothing is published yet")
    os.replace(tmp, build)
    con = connect(build)
    try:
        ensure_schema(con)
    finally:
        con.close()
    return copied


@contextmanager
def publish_lock(published: Path, wait: float = PUBLISH_WAIT_SECONDS) -> Iterator[None]:
    """Hold the exclusive publish lock of ``published`` (``<published>.lock``, ``flock``).

    Waits up to ``wait`` seconds for another publisher, then raises
    ``PublishBusy``. The lock goes with the process: a publisher killed while
    holding it releases it. The lock file itself stays (removing it would let
    two processes lock two different files).
    """
    private_folder(published.parent)
    lock = published.with_name(published.name + ".lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise PublishBusy(
                        f"another run has been publishing {published} for more than {wait:.0f} s "
                        f"(lock {lock}); nothing was published: retry this run later"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)


def publish(
    build: Path, published: Path, expected_base: str | None, wait: float = PUBLISH_WAIT_SECONDS
) -> Path:
    """Atomically replace the published warehouse with the audited build file, under the lock.

    ``expected_base`` is the published run the build was copied from; if
    another run published in between, this build would discard its work, so
    it refuses with ``PublishConflict``. The check and the replace happen
    under ``publish_lock``, so no concurrent publisher slips in between.
    """
    if not build.exists():
        raise PublishError(f"build file {build} is missing")
    if Path(str(build) + ".wal").exists():
        raise PublishError(f"{build}.wal exists: the build was not checkpointed and closed")
    with publish_lock(published, wait):
        current = published_run_id(published)
        if current != expected_base:
            raise PublishConflict(
                f"the published warehouse changed during this run (built on {expected_base}, "
                f"now {current}); nothing was published: run the pipeline again"
            )
        aside = set_aside(published, build.with_suffix(".replaced"))
        try:
            os.replace(build, published)
        except BaseException:
            if aside is not None:
                aside.unlink(missing_ok=True)
            raise
    if aside is not None:
        remove_in_background(aside)
    return published


def set_aside(published: Path, aside: Path) -> Path | None:
    """A second name (hard link) for the published file, so that replacing it does not free
    it: freeing a file of gigabytes (its blocks, its pages in memory) takes a third of a
    second at scale 8, which ``remove_in_background`` spends beside the run's last steps.
    None if there is no published file or it cannot be linked (then the replace frees it)."""
    try:
        aside.unlink(missing_ok=True)
        os.link(published, aside)
    except OSError:
        return None
    return aside


_REMOVALS: list[threading.Thread] = []


def remove_in_background(path: Path) -> None:
    """Remove ``path`` in a thread of its own (the unlink lets go of the GIL); ``removals_done``
    waits for it. A run that dies before leaves the file to the next run's housekeeping."""
    thread = threading.Thread(
        target=path.unlink, kwargs={"missing_ok": True}, name=f"remove {path.name}"
    )
    thread.start()
    _REMOVALS.append(thread)


def removals_done() -> None:
    """Wait for the files ``remove_in_background`` is removing."""
    while _REMOVALS:
        _REMOVALS.pop().join()


def checkpoint_and_close(con: duckdb.DuckDBPyConnection) -> None:
    """Checkpoint and close a build connection.

    A transaction still open here belongs to a step that failed before its
    commit: it is rolled back (DuckDB cannot checkpoint over it, and its
    "Cannot CHECKPOINT" error would hide the step's own error).
    """
    try:
        con.execute("checkpoint")
    except duckdb.TransactionException:
        con.rollback()
    finally:
        con.close()


@contextmanager
def session(
    path: str | Path, transaction: bool = True, checkpoint: bool = True
) -> Iterator[duckdb.DuckDBPyConnection]:
    """``with session(build) as con:`` — one unit of work on a warehouse file.

    Opens the file read-write, begins a transaction (unless ``transaction`` is
    false, for work that manages its own), commits if the block ends normally,
    checkpoints and closes. If the block raises, the transaction is rolled
    back and the *original* error propagates: nothing of the block is kept,
    and no checkpoint of a failed transaction hides the cause.

    ``checkpoint=False``: a small unit of work running while another connection of the
    process writes (DuckDB refuses a checkpoint then); what it wrote stays in the file's
    write-ahead log until the next session's checkpoint.
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
        if checkpoint:
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


def stored_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every table of the file that is not a view (``existing_tables`` less the views), as
    ``schema.name``: what has a ``rowid``."""
    rows = con.execute(
        """select table_schema || '.' || table_name from information_schema.tables
           where table_type = 'BASE TABLE'"""
    ).fetchall()
    return {r[0] for r in rows}


# A checkpoint that writes a table's deletions also "vacuums" it: row groups left part empty are
# merged and written again. A night's merges delete the rows of the keys they compute again,
# mostly recent ones, so their deletions fall in the last row groups of each fact table: at
# scale 8 the vacuum took 0.4 s of the core step's commit (0.81 s) and half of the
# indicators' (0.26 s), for row groups that the next night's deletions open again. The
# writers' connections do not vacuum (``connect``); a build vacuums the tables that have come
# to hold more than ``COMPACT_ABOVE`` of deleted rows, and at least a row group of them, in its
# last checkpoint (``compact``). At scale 8 a working day leaves 20,729 deleted rows in
# ``core.fct_dossier`` (0.3 %): vacuumed once a month or so; 35k in the drill-downs (18 % of
# 195k): every fourth night.
VACUUM_TASKS = 100  # DuckDB's default
COMPACT_ABOVE = 0.10
ROW_GROUP_ROWS = 122_880  # DuckDB's row group: deleted rows fewer than this may free nothing


def dead_rows(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """Table -> (rows stored, rows live) for each table of the file that keeps deleted rows
    (DuckDB's ``estimated_size`` counts them until a vacuum frees their row groups)."""
    sizes = {
        f"{schema}.{name}": int(size)
        for schema, name, size in con.execute(
            """select schema_name, table_name, estimated_size from duckdb_tables()
               where not temporary and estimated_size > 0"""
        ).fetchall()
    }
    if not sizes:
        return {}
    live = dict(
        con.execute(
            " union all ".join(f"select '{t}', count(*) from {t}" for t in sorted(sizes))
        ).fetchall()
    )
    return {t: (stored, live[t]) for t, stored in sizes.items() if stored > live[t]}


def compact(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Have the next checkpoint vacuum the tables whose deleted rows are more than
    ``COMPACT_ABOVE`` of their stored rows and at least a row group; return them.

    A checkpoint vacuums a table whose rows it deletes: of each such table, one row is deleted
    and added again (the same rows; that one is then the table's last). A table with a key
    constraint is left out (its row could not be added back in the same transaction): the
    warehouse's are small tables of runs and files."""
    due = sorted(
        table
        for table, (stored, live) in dead_rows(con).items()
        if stored - live >= ROW_GROUP_ROWS and stored - live > COMPACT_ABOVE * stored
    )
    if due:
        keyed = {
            f"{schema}.{name}"
            for schema, name in con.execute(
                """select schema_name, table_name from duckdb_constraints()
                   where constraint_type in ('PRIMARY KEY', 'UNIQUE')"""
            ).fetchall()
        }
        due = [table for table in due if table not in keyed]
    for table in due:
        first = scalar(con, f"select min(rowid) from {table}")
        con.execute(
            f"create or replace temp table _compact as select * from {table} where rowid = ?",
            [first],
        )
        con.execute(f"delete from {table} where rowid = ?", [first])
        con.execute(f"insert into {table} select * from _compact")
        con.execute("drop table _compact")
    if due:
        con.execute(f"set max_vacuum_tasks = {VACUUM_TASKS}")
    return due


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    rows = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()  # fetch to the end: DuckDB refuses register() while a result is open
    return bool(rows[0][0])


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> frozenset[str]:
    """The column names of ``schema.table`` (empty if it does not exist)."""
    schema, _, name = table.partition(".")
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()
    return frozenset(r[0] for r in rows)
