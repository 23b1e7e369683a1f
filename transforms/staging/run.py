"""Stage: parse the files a run extracted, type them, and append them to ``stg.*``.

For every file: rows read = rows loaded + rows quarantined + rows recognised
as duplicates (the same row already staged, from this file or an earlier
one), written to the manifest. A file that cannot be read at all is marked
``error`` with the message and taken again on the next run; the other files
go on.

A file whose bytes were taken before (extract records it ``duplicate``) is
settled here by what its dataset is (``StagingStep.kind``): a re-sent file of
events stays ``duplicate`` and loads nothing; a snapshot delivered on another
date than the file it repeats is a new observation at its own date and is
staged (``loaded``; ``duplicate_of`` still names the file it repeats), its rows
deduplicated as any others (rows carrying the file's date are new rows). An
empty delivery (no rows: a header only, a day without records) is that
date's delivery, ``loaded`` with 0 rows, never a duplicate of another day's
empty file.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from sources.base import Source, SourceFileError
from transforms.pii import WITHHELD
from transforms.staging.step import SqlStaging, StageContext, StagingStep
from warehouse.audit import PERSONAL
from warehouse.build import append_frame, table_exists

REFERENCE = Path(__file__).resolve().parents[2] / "warehouse" / "reference"


Steps = Mapping[
    str, StagingStep
]  # dataset -> its staging step (``STEPS`` of a ``stg_<source>.py``)


@dataclass
class StageSummary:
    source: str
    files: int = 0
    files_failed: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    errors: list[str] = field(default_factory=list)


def load_reference(con: duckdb.DuckDBPyConnection, folder: Path = REFERENCE) -> None:
    """(Re)load the committed reference lists into ``ref.*``."""
    for table, csv in [
        ("ref.admin_unit", "admin_units.csv"),
        ("ref.unit_crosswalk", "crosswalk_2025.csv"),
        ("ref.agency", "agencies.csv"),
        ("ref.holiday", "holidays_vn.csv"),
    ]:
        con.execute(
            f"create or replace table {table} as select * from read_csv(?, all_varchar = true, header = true)",
            [str(folder / csv)],
        )


def pending_files(con: duckdb.DuckDBPyConnection, source: str, dataset: str) -> list[tuple]:
    """(file id, name, archive path, file date, status, date of the file it repeats, lines
    counted when taken) of each file to stage, in date order."""
    return con.execute(
        """select m.file_id, m.name, m.archive_path, m.file_date, m.status, o.file_date, m.lines
           from meta.manifest as m
           left join meta.manifest as o on o.file_id = m.duplicate_of
           where m.source = ? and m.dataset = ?
             and (m.status = 'extracted' or (m.status = 'duplicate' and m.rows_read is null))
           order by m.file_date nulls last, m.name""",
        [source, dataset],
    ).fetchall()


def is_resend(file: tuple, step: StagingStep) -> bool:
    """Whether a pending file is a re-send that loads nothing: the same bytes as a file taken
    before, of events, or of a snapshot of the same date (a snapshot on a later date is a new
    observation). Whether it is empty is decided once it is read (``stage_batch``)."""
    status, file_date, repeated_date = file[4], file[3], file[5]
    if status != "duplicate":
        return False
    return not step.is_snapshot or file_date == repeated_date


READERS = 2  # files read at once: a CSV's parse lets go of the GIL (365 daily files: 0.6 -> 0.4 s)


def read_files(
    files: list[tuple],
    reader: Callable[[str], pl.DataFrame],
    batch_reader: Callable[[list[str], list[int | None]], list[pl.DataFrame | None]] | None = None,
) -> tuple[dict[str, pl.DataFrame], dict[str, str]]:
    """Read each file; return its frame by file id, and the error of each unreadable file.

    With a ``batch_reader`` (a source's one-pass reader of many files), the files it reads
    are taken from it and only the others are read one by one, ``READERS`` at a time."""
    frames: dict[str, pl.DataFrame] = {}
    errors: dict[str, str] = {}
    together: list[pl.DataFrame | None] = []
    if batch_reader and files:
        try:
            together = batch_reader([f[2] for f in files], [f[6] for f in files])
        except Exception:  # noqa: BLE001 - each file is then read alone and its error named
            together = []

    def read_one(number: int) -> pl.DataFrame | Exception:
        try:
            return reader(files[number][2])
        except Exception as exc:  # noqa: BLE001 - named below as this file's error
            return exc

    alone = [n for n in range(len(files)) if not together or together[n] is None]
    # the first in this thread: a reader's lazy imports are done before two threads run it
    # (two threads importing at once can meet in an import cycle)
    done = {n: read_one(n) for n in alone[:1]}
    with ThreadPoolExecutor(READERS) as pool:
        done.update(zip(alone[1:], pool.map(read_one, alone[1:]), strict=True))
    for number, (file_id, name, path, fdate, *_) in enumerate(files):
        df = done[number] if number in done else together[number]
        if isinstance(df, SourceFileError):  # named by its landing name, not its archive path
            errors[file_id] = str(df).replace(str(path), name, 1)
            continue
        if isinstance(df, Exception):  # an unexpected failure is still this file's, not the run's
            said = re.sub(PERSONAL, WITHHELD, str(df))[:300]  # a parser may quote the record
            errors[file_id] = f"{name}: {type(df).__name__}: {said}"
            continue
        assert df is not None
        frames[file_id] = df.with_columns(
            pl.lit(file_id).alias("_file_id"), pl.lit(fdate, dtype=pl.Date).alias("_file_date")
        )
    return frames, errors


def row_hash_expr(columns: list[str]) -> str:
    parts = ", ".join(f"coalesce(cast(\"{c}\" as varchar), '\u2205')" for c in columns)
    return f"md5(concat_ws('|', {parts}))"


def load_deduplicated(
    con: duckdb.DuckDBPyConnection,
    table: str,
    staged: pl.DataFrame | None,
    run_id: str,
    more: bool = False,
) -> dict[str, int]:
    """Append staged rows not already in ``table``; return loaded rows per file. ``more``: the
    temp table ``_new`` holds rows staged in DuckDB already (``stage_in_sql``): ``staged`` rows
    are added to them (``None``: there are none)."""
    if staged is None and not more:
        raise ValueError("no rows to load: neither staged rows nor rows staged in DuckDB")
    if staged is not None:
        business = [c for c in staged.columns if not c.startswith("_")]
        con.register("_staged", staged)
        try:
            con.execute(
                f"""{"insert into _new by name" if more else "create or replace temp table _new as"}
                    select *, {row_hash_expr(business)} as _row_hash, ?::varchar as _run_id
                    from _staged""",
                [run_id],
            )
        finally:
            con.unregister("_staged")
    if not table_exists(con, table):
        con.execute(f"create table {table} as select * from _new limit 0")
    add_new_columns(con, table, "_new")
    # the first of equal rows of the batch (ranking them costs as much as the insert: only when
    # the batch repeats a row), and only if not staged before
    repeats = con.execute("select count(*) > count(distinct _row_hash) from _new").fetchone()
    first = (
        "qualify row_number() over (partition by _row_hash order by _file_date, _file_id, _row) = 1"
        if repeats and repeats[0]
        else ""
    )
    # the batch's rows staged before, found by scanning the table's hashes against the batch's
    # only (a hash table of the batch's hashes, not of its whole rows: half the time at 10M rows)
    con.execute(
        f"""create or replace temp table _seen as
            select distinct s._row_hash from {table} as s
            semi join _new as n on s._row_hash = n._row_hash"""
    )
    seen = con.execute("select count(*) from _seen").fetchall()[0][0]
    if not seen and not first:  # every row is new (a first load, a new day): all of them load
        con.execute(f"insert into {table} by name select * from _new")
        loaded = dict(con.execute("select _file_id, count(*) from _new group by all").fetchall())
        con.execute("drop table _new; drop table _seen")
        return loaded
    con.execute(  # the rows to load, kept apart so that the growing table is not read again
        f"""create or replace temp table _load as
            select * from _new n anti join _seen using (_row_hash)
            {first}"""
    )
    con.execute(f"insert into {table} by name select * from _load")
    con.execute(  # every row not loaded is accounted for: which row of which file, and its content hash
        """insert into audit.duplicate_row
           select n._file_id, n._row, n._row_hash, n._run_id from _new as n
           anti join _load as l on l._file_id = n._file_id and l._row = n._row"""
    )
    loaded = dict(con.execute("select _file_id, count(*) from _load group by all").fetchall())
    con.execute("drop table _new; drop table _load; drop table _seen")
    return loaded


def add_new_columns(con: duckdb.DuckDBPyConnection, table: str, incoming: str) -> list[str]:
    """Columns a newer staging step adds (a field newer exports carry) are added to the table,
    empty for the rows staged before."""
    have = {r[0] for r in con.execute(f"describe {table}").fetchall()}
    added = []
    for name, dtype, *_ in con.execute(f"describe {incoming}").fetchall():
        if name not in have:
            con.execute(f'alter table {table} add column "{name}" {dtype}')
            added.append(name)
    return added


def ensure_tables(
    con: duckdb.DuckDBPyConnection, source: Source, steps: Steps, ctx: StageContext, run_id: str
) -> None:
    """Create a delivering source's staging tables that have no file yet (ratings before the first
    rating file), empty, so its core tables can build."""
    for dataset in source.dataset_order():
        step = steps[dataset]
        if table_exists(con, step.table):
            continue
        suffix = "." + source.datasets[dataset].rsplit(".", 1)[-1]
        with tempfile.NamedTemporaryFile(suffix=suffix) as empty:
            try:
                raw = source.readers[dataset](empty.name)
            except Exception:  # a format with no empty form (e.g. a workbook): wait for a file
                continue
        raw = raw.with_columns(
            pl.lit(None, dtype=pl.String).alias("_file_id"),
            pl.lit(None, dtype=pl.Date).alias("_file_date"),
        )
        staged, _ = step.fn(raw, ctx)
        load_deduplicated(con, step.table, staged, run_id)


def stage_source(
    con: duckdb.DuckDBPyConnection, source: Source, steps: Steps, pii_key: bytes, run_id: str
) -> StageSummary:
    """Stage every pending file of ``source`` with its ``steps``, dataset by dataset in the source's order."""
    summary = StageSummary(source.name)
    ctx = StageContext(con, pii_key)
    delivered = con.execute(
        "select count(*) from meta.manifest where source = ?", [source.name]
    ).fetchall()[0][0]
    if not delivered:  # never delivered: no tables, its indicators say "source missing"
        return summary
    ensure_tables(con, source, steps, ctx, run_id)
    for dataset in source.dataset_order():
        files = pending_files(con, source.name, dataset)
        sizes = dict(
            con.execute(
                "select file_id, size from meta.manifest where source = ? and dataset = ?",
                [source.name, dataset],
            ).fetchall()
        )
        groups = batches(files, sizes, batch_bytes(source.datasets[dataset]))
        for number, batch in enumerate(groups):
            if number + 1 < len(groups):
                read_ahead([f[2] for f in groups[number + 1] if f[2]])
            stage_batch(con, source, steps[dataset], dataset, batch, ctx, run_id, summary)
            commit_batch(con)
    return summary


def read_ahead(paths: list[str]) -> None:
    """Ask the kernel to read the next batch's files into memory while this one is staged
    (``posix_fadvise`` WILLNEED, in a thread of its own): a year of extracts does not fit the
    page cache beside its archive copy, so without it every batch waits for the disk first."""

    def advise() -> None:
        for path in paths:
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:  # gone or unreadable: the read names it
                continue
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
            except OSError:
                pass
            finally:
                os.close(fd)

    if hasattr(os, "posix_fadvise"):
        threading.Thread(target=advise, name="read-ahead", daemon=True).start()


def commit_batch(con: duckdb.DuckDBPyConnection) -> None:
    """Commit a staged batch (its rows, quarantine and manifest entries together) and go on in
    a new transaction. One transaction for a whole year of files held its uncommitted rows in
    memory (2.4 GiB of the 5 GiB peak at scale 8); batch by batch, a failure keeps the batches
    done and a retry stages the files still pending. Without an open transaction (autocommit),
    every statement is committed already."""
    try:
        con.execute("commit")  # (``con.commit()`` would not say whether one was open)
    except duckdb.TransactionException:
        return
    con.begin()


# bytes of files staged together, which bounds memory: JSON lines (keys repeated on every
# line: ~4 months of dossiers at scale 1, ~430k records), and other formats, denser (a CSV byte
# is more of a row: 106 MB of ratings in one batch took 0.7 GiB at scale 8). DuckDB appends a
# batch to the staged table on two threads only when it spans more than two row groups
# (122,880 rows each): at 256 MB (~215k records) the insert ran on one core, 23 s of 10M rows
# at scale 8 against 12.5 s at 512 MB (staging alone: 120 s, peak 1.55 GiB; 134 s at 384 MB)
BATCH_BYTES = 512 << 20
DENSE_BATCH_BYTES = 64 << 20
BATCH_FILES = 400  # and files: many small ones (pages of an API pull) still share a batch


def batch_bytes(pattern: str) -> int:
    """The batch size for a dataset by its files' pattern (``Source.datasets``)."""
    return BATCH_BYTES if pattern.lower().endswith((".jsonl", ".json")) else DENSE_BATCH_BYTES


def batches(
    files: list[tuple], sizes: Mapping[str, int | None], limit: int = BATCH_BYTES
) -> list[list[tuple]]:
    """Consecutive groups of ``files`` of at most ``limit`` bytes (a larger file alone) and
    ``BATCH_FILES`` files: each batch is checked against the staged table once, so fewer, fuller
    batches cost less, and a bounded batch bounds memory."""
    out: list[list[tuple]] = []
    current: list[tuple] = []
    size = 0
    for f in files:
        n = sizes.get(f[0]) or 0
        if current and (size + n > limit or len(current) >= BATCH_FILES):
            out.append(current)
            current, size = [], 0
        current.append(f)
        size += n
    if current:
        out.append(current)
    return out


def stage_batch(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    step: StagingStep,
    dataset: str,
    files: list[tuple],
    ctx: StageContext,
    run_id: str,
    summary: StageSummary,
) -> None:
    """Read, stage, load and account for one batch of a dataset's files."""
    in_sql = read_into_batch(con, source, dataset, step, files)  # file id -> rows in ``_batch``
    tried = step.sql is not None and dataset in source.table_readers  # (the one pass was made)
    frames, errors = read_files(
        [f for f in files if f[0] not in in_sql],
        source.readers[dataset],
        None if tried else source.batch_readers.get(dataset),
    )
    counts = {**in_sql, **{fid: df.height for fid, df in frames.items()}}
    # a re-send loads nothing; an empty file is its own date's delivery, whatever it repeats
    duplicates_of_files = {f[0] for f in files if is_resend(f, step) and counts.get(f[0])}
    to_stage = [df for fid, df in frames.items() if fid not in duplicates_of_files and df.height]
    loaded: dict[str, int] = {}
    quarantined: dict[str, int] = {}
    in_new = False  # rows staged in DuckDB are in ``_new`` already
    if step.sql is not None and set(in_sql) - duplicates_of_files:
        offered = sum(n for fid, n in in_sql.items() if fid not in duplicates_of_files)
        # the records the query left, for the step function; none when it staged every one
        # (no search for them, no step function on no rows: 60 scale-8 files of dossiers
        # staged in 12.9-14.5 s against 14.0-15.6 s)
        if stage_in_sql(con, step.sql, ctx, duplicates_of_files, run_id) < offered:
            to_stage.append(the_rest(con))
        in_new = True
    if to_stage or in_new:
        staged = quarantine = None
        if to_stage:
            raw = pl.concat(to_stage, how="vertical")
            del frames, to_stage
            staged, quarantine = step.fn(raw, ctx)
            del raw
        loaded = load_deduplicated(con, step.table, staged, run_id, in_new)
        if quarantine is not None and quarantine.height:
            quarantined = dict(quarantine.group_by("_file_id").len().iter_rows())
            record_quarantine(con, quarantine, source.name, dataset, run_id)
        if step.key:
            release_quarantine(con, source.name, dataset, step, run_id)
    if in_sql:
        con.execute("drop view if exists _batch; drop table if exists _json_batch")
        con.execute("drop table if exists _batch_file")
    outcomes = []
    for fid, read in counts.items():
        if fid in duplicates_of_files:
            values = ("duplicate", read, 0, 0, read)
        else:
            n_loaded, n_quarantined = loaded.get(fid, 0), quarantined.get(fid, 0)
            values = ("loaded", read, n_loaded, n_quarantined, read - n_loaded - n_quarantined)
        outcomes.append((fid, *values))
        summary.files += 1
        summary.rows_read += values[1]
        summary.rows_loaded += values[2]
        summary.rows_quarantined += values[3]
        summary.rows_duplicate += values[4]
    record_outcomes(con, outcomes)
    for fid, message in errors.items():
        con.execute(
            "update meta.manifest set status = 'error', error = ? where file_id = ?", [message, fid]
        )
        summary.files_failed += 1
        summary.errors.append(message)


def record_outcomes(con: duckdb.DuckDBPyConnection, outcomes: list[tuple]) -> None:
    """Write each staged file's outcome (file id, status, rows read, loaded, quarantined,
    duplicate) into ``meta.manifest`` in one statement (one update a file cost a second a
    year); an empty delivery repeats no other file: it is its own date's delivery."""
    if not outcomes:
        return
    temp_table(
        con,
        "_outcome",
        outcomes,
        {
            "file_id": pl.String,
            "status": pl.String,
            "rows_read": pl.Int64,
            "rows_loaded": pl.Int64,
            "rows_quarantined": pl.Int64,
            "rows_duplicate": pl.Int64,
        },
    )
    con.execute(
        """update meta.manifest as m set status = o.status, rows_read = o.rows_read,
               rows_loaded = o.rows_loaded, rows_quarantined = o.rows_quarantined,
               rows_duplicate = o.rows_duplicate, error = null, loaded_at = ?,
               duplicate_of = case when o.rows_read = 0 then null else m.duplicate_of end
           from _outcome as o where m.file_id = o.file_id""",
        [datetime.now()],
    )
    con.execute("drop table _outcome")


def temp_table(
    con: duckdb.DuckDBPyConnection, name: str, rows: list[tuple], schema: dict[str, Any]
) -> None:
    """(Re)create the temp table ``name`` holding ``rows`` (a year of files' rows inserted one
    at a time by ``executemany`` cost 0.6 s of a first load)."""
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    con.register("_rows", frame)
    try:
        con.execute(f"create or replace temp table {name} as select * from _rows")
    finally:
        con.unregister("_rows")


def read_into_batch(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    dataset: str,
    step: StagingStep,
    files: list[tuple],
) -> dict[str, int]:
    """For a step with ``SqlStaging`` of a dataset its source reads into a table
    (``Source.table_readers``): read the batch's files in one pass into the view ``_batch``
    (``_row``, ``_file_id``, ``_file_date`` added); return the rows of each file it holds, by
    file id. A file it does not vouch for is left to the source's reader."""
    reader = source.table_readers.get(dataset)
    if step.sql is None or reader is None:
        return {}
    lines = [f for f in files if f[2]]
    vouched = reader(con, "_json_batch", [str(f[2]) for f in lines], [f[6] for f in lines])
    if not vouched:
        return {}
    by_path = {str(f[2]): f for f in lines}
    rows = [
        (path, found.first_rowid, by_path[path][0], by_path[path][3])
        for path, found in vouched.items()
    ]
    temp_table(
        con,
        "_batch_file",
        rows,
        {"_path": pl.String, "first_rowid": pl.Int64, "_file_id": pl.String, "_file_date": pl.Date},
    )
    con.execute(
        """create or replace temp view _batch as
            select j.* exclude (_path, _suspect), j.rowid - f.first_rowid + 1 as _row,
                   null::varchar as _nested, f._file_id, f._file_date
            from _json_batch as j join _batch_file as f using (_path)"""
    )
    return {by_path[path][0]: found.rows for path, found in vouched.items()}


def stage_in_sql(
    con: duckdb.DuckDBPyConnection,
    sql: SqlStaging,
    ctx: StageContext,
    resent: set[str],
    run_id: str,
) -> int:
    """The records of ``_batch`` its query vouches for, staged with their row hash into the temp
    table ``_new`` that ``load_deduplicated`` loads (a re-sent file's left out first); returns
    how many."""
    if resent:
        con.execute(
            "delete from _batch_file where _file_id in (select unnest(?::varchar[]))",
            [sorted(resent)],
        )
    query, params = sql.select(ctx)
    business = [c for c in con.sql(query, params=params).columns if not c.startswith("_")]
    con.execute(
        f"""create or replace temp table _new as
            select *, {row_hash_expr(business)} as _row_hash, ?::varchar as _run_id
            from ({query})""",
        [run_id, *params],  # (the run id comes first in the text)
    )
    return int(con.execute("select count(*) from _new").fetchall()[0][0])


def the_rest(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The records of ``_batch`` the step's query did not stage, as the source's reader gives
    them, for the step function (a quarantine, a value in another form)."""
    return con.sql(
        """select b.* from _batch as b anti join _new as n using (_file_id, _row)
           order by b._file_id, b._row"""
    ).pl()


def record_quarantine(
    con: duckdb.DuckDBPyConnection, quarantine: pl.DataFrame, source: str, dataset: str, run_id: str
) -> None:
    if quarantine.height == 0:
        return
    names = pl.DataFrame(
        con.execute("select file_id as _file_id, name as file_name from meta.manifest").fetchall(),
        schema={"_file_id": pl.String, "file_name": pl.String},
        orient="row",
    )
    rows = quarantine.join(names, on="_file_id", how="left").select(
        pl.lit(run_id).alias("run_id"),
        pl.lit(source).alias("source"),
        pl.lit(dataset).alias("dataset"),
        pl.col("_file_id").alias("file_id"),
        "file_name",
        pl.col("_row").alias("row"),
        "rule",
        "reason",
        "record",
    )
    append_frame(con, "audit.quarantine", rows)


def release_quarantine(
    con: duckdb.DuckDBPyConnection, source: str, dataset: str, step: StagingStep, run_id: str
) -> int:
    """Mark open quarantine rows superseded when this run loaded a corrected record with the same key."""
    if step.key is None:
        return 0
    raw_field, column = step.key
    return con.execute(
        f"""update audit.quarantine as q set status = 'superseded', superseded_by_run = ?
            where q.status = 'open' and q.source = ? and q.dataset = ?
              and json_extract_string(q.record, '$.{raw_field}') in (
                  select {column} from {step.table} where _run_id = ?)""",
        [run_id, source, dataset, run_id],
    ).fetchall()[0][0]
