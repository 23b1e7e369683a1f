"""The audit a build must pass before it is published, and the run's own records."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime

import duckdb
import polars as pl

from warehouse.build import append_frame, existing_tables, scalar
from warehouse.delta import KEPT, MERGED, changes, delta_table

# Shapes of personal data in clear, as regular expressions both DuckDB (RE2) and Polars (Rust)
# read. Digits count only standing alone: not a segment of a code or path (000.00.930.H93-...).
EDGE = r"[^0-9A-Za-z./_-]"
CITIZEN_ID_SHAPE = r"0[0-9]{11}"  # a citizen ID: 12 digits, 0 + birth province
PHONE_SHAPE = (  # a Vietnamese phone number: mobile 0[35789]x xxx xxxx, landline 02xx xxx xxxx, +84
    r"(?:\+84|84|0)(?:[35789][0-9]{8}|2[0-9]{9}|[35789][0-9]{2}[ .-][0-9]{3}[ .-][0-9]{3})"
)
EMAIL_SHAPE = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
CLEAR_ID = rf"(^|{EDGE}){CITIZEN_ID_SHAPE}({EDGE}|$)"
CLEAR_PHONE = rf"(^|{EDGE}){PHONE_SHAPE}({EDGE}|$)"
PERSONAL = rf"(^|{EDGE})(?:{CITIZEN_ID_SHAPE}|{PHONE_SHAPE})({EDGE}|$)|{EMAIL_SHAPE}"


def row_balance_problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Files whose rows do not add up: read = loaded + quarantined + duplicate."""
    rows = con.execute(
        """select name, rows_read, rows_loaded, rows_quarantined, rows_duplicate from meta.manifest
           where status in ('loaded', 'duplicate')
             and rows_read <> rows_loaded + rows_quarantined + rows_duplicate"""
    ).fetchall()
    return [
        f"{r[0]}: read {r[1]} <> loaded {r[2]} + quarantined {r[3]} + duplicate {r[4]}"
        for r in rows
    ]


# identifiers the pipeline makes itself, never from a source: file ids (16 hex) and run ids
# (Prefect's UUIDs, whose last group of 12 hex can be 12 digits opening with 0: the shape of a
# citizen ID, which would refuse a run now and then for its own name)
PIPELINE_IDS = (
    "_file_id",
    "_run_id",
    "file_id",
    "run_id",
    "base_run_id",
    "old_run_id",
    "new_run_id",
    "superseded_by_run",
    "duplicate_of",
)


def clear_id_problems(
    con: duckdb.DuckDBPyConnection, only: dict[str, str | None] | None = None
) -> list[str]:
    """String columns of stored tables holding something shaped like a clear citizen ID, phone
    number or e-mail address. Staging quarantines such values (``transforms.pii``), so this last
    line fires only if a transform lets one through. ``only``: table -> a query giving the rows
    to read (None: skip the table); tables not named are read whole. A table is read once for
    all its columns (one query a column read the table's filter again for each), but for the
    few-valued columns of a big table read whole, each grouped by value (``few_valued``)."""
    only = only or {}
    skipped = ", ".join(
        f"'{c}'" for c in ("_row_hash", "applicant_hash", "holder_hash", *PIPELINE_IDS)
    )
    columns: dict[str, list[str]] = {}
    for schema, table, column in con.execute(
        f"""select table_schema, table_name, column_name from information_schema.columns
            where data_type = 'VARCHAR' and table_schema in ('stg', 'core', 'mart', 'audit')
              and table_name in (select table_name from information_schema.tables
                                 where table_type = 'BASE TABLE')
              and column_name not in ({skipped})
            order by table_schema, table_name, ordinal_position"""
    ).fetchall():
        columns.setdefault(f"{schema}.{table}", []).append(column)
    problems = []
    for name, names in columns.items():
        if name in only and only[name] is None:
            continue
        rows = only.get(name) or f"select * from {name}"
        few = set() if name in only else few_valued(con, name, names)
        counts = ", ".join(
            f"({shaped_by_value(name, c)})"
            if c in few
            else f'count(*) filter (where regexp_matches("{c}", $1))'
            for c in names
        )
        found = con.execute(
            f"select {counts} from ({rows})" if len(few) < len(names) else f"select {counts}",
            [PERSONAL],
        ).fetchall()[0]
        problems += [
            f"{name}.{column}: {n} value(s) shaped like a citizen ID, phone number or e-mail address"
            for column, n in zip(names, found, strict=True)
            if n
        ]
    return problems


# a table read whole from this many rows on has its columns' distinct values estimated first
FEW_VALUES_FROM_ROWS = 200_000
FEW_VALUES_SHARE = 0.05  # a column with fewer distinct values than this share of a sample's rows


def few_valued(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[str],
    from_rows: int = FEW_VALUES_FROM_ROWS,
) -> set[str]:
    """The columns of a big table with few distinct values (codes, levels, file ids), estimated
    on a sample of its row groups: each of their values is tested once (``shaped_by_value``)
    instead of on every row. On the scale-8 dossiers (6.2M rows) a code column took 0.2 s by
    row and 0.01 s by value; an ID column, all its values distinct, 0.5 s by row and 1.3 s by
    value, so it stays by row. The choice changes the time, never the count."""
    schema, name = table.split(".", 1)
    rows = scalar(
        con,
        "select estimated_size from duckdb_tables() where schema_name = ? and table_name = ?",
        [schema, name],
    )
    if not rows or rows < from_rows:
        return set()
    estimates = ", ".join(f'approx_count_distinct("{c}")' for c in columns)
    sample = con.execute(
        f"select count(*), {estimates} from {table} using sample 2% (system)"
    ).fetchall()[0]
    seen = sample[0] or 0
    if seen < 1000:  # (too few rows sampled to tell)
        return set()
    return {c for c, n in zip(columns, sample[1:], strict=True) if n < FEW_VALUES_SHARE * seen}


def shaped_by_value(table: str, column: str) -> str:
    """The rows of ``table`` whose ``column`` holds a personal-data shape, counted by testing
    each distinct value once (``$1``: the pattern)."""
    return f"""select coalesce(sum(n) filter (where regexp_matches(v, $1)), 0)
               from (select "{column}" as v, count(*) as n from {table} group by all)"""


def audit_problems(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> list[str]:
    """Everything that forbids publishing this build (empty list = publishable).

    With ``run_id`` of an incremental run, the scan for personal data reads what the run
    wrote (``changed_rows``): the rest was scanned when it was published."""
    problems = row_balance_problems(con)
    if not scalar(con, "select count(*) from mart.indicator_value"):
        problems.append("mart.indicator_value is empty")
    problems += clear_id_problems(con, changed_rows(con, run_id) if run_id else {})
    return problems


def changed_rows(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, str | None]:
    """Table -> a query giving the rows an incremental run wrote there (None: none at all).

    Empty unless the core step was incremental (``transforms.core.incremental``): staged and
    audit rows carry their run, a kept core table has none, a merged one has its keys' rows as
    they are now (``delta.<table>_new``, written by the merge: not looked up in the table)."""
    done = changes(con, run_id)
    if not done:
        return {}
    run = run_id.replace("'", "''")
    rows: dict[str, str | None] = {}
    for schema, table, column in con.execute(
        """select table_schema, table_name, column_name from information_schema.columns
           where table_schema in ('stg', 'audit') and column_name in ('_run_id', 'run_id')"""
    ).fetchall():
        rows[f"{schema}.{table}"] = f"select * from {schema}.{table} where {column} = '{run}'"
    present = existing_tables(con)
    for table, change in done.items():
        if change.how == KEPT and not change.changed:
            rows[table] = None
        elif change.how == MERGED and change.key:
            merged = delta_table(table, "new")
            rows[table] = f"select * from {merged}" if merged in present else None  # else no key
    return rows


def record_checks(con: duckdb.DuckDBPyConnection, run_id: str, results: Iterable) -> int:
    rows = [asdict(r) for r in results]
    if not rows:
        return 0
    now = datetime.now()
    df = (
        pl.DataFrame(rows)
        .rename({"table": "table_name"})
        .with_columns(pl.lit(run_id).alias("run_id"), pl.lit(now).alias("checked_at"))
    )
    return append_frame(con, "audit.check_result", df)


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, base_run_id: str | None) -> None:
    con.execute(
        """insert into audit.run (run_id, started_at, base_run_id, status) values (?, ?, ?, 'building')
           on conflict do nothing""",
        [run_id, datetime.now(), base_run_id],
    )


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, blocked: dict[str, str]) -> None:
    """Stamp the run as published (with or without blocked indicators) and keep its values in history."""
    totals = con.execute(
        """select count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0),
                  coalesce(sum(rows_quarantined), 0), coalesce(sum(rows_duplicate), 0)
           from meta.manifest where run_id = ?""",
        [run_id],
    ).fetchall()[0]
    con.execute(
        """update audit.run set finished_at = ?, status = ?, files_loaded = ?, rows_read = ?, rows_loaded = ?,
           rows_quarantined = ?, rows_duplicate = ?, indicators_blocked = ? where run_id = ?""",
        [
            datetime.now(),
            "published_with_blocked" if blocked else "published",
            *totals,
            json.dumps(blocked, ensure_ascii=False) if blocked else None,
            run_id,
        ],
    )
    con.execute("delete from audit.indicator_value_by_run where run_id = ?", [run_id])
    con.execute(
        """insert into audit.indicator_value_by_run
           select run_id, indicator_id, period_type, period_start, period_end, admin_level, admin_code,
                  numerator, denominator, value, status
           from mart.indicator_value where period_start is not null and status <> 'blocked'"""
    )
