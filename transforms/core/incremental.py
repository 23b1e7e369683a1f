"""A night's core step touches what its new rows change (dbt's incremental models, by key).

Rebuilding every core table from the whole history costs what the history costs, not what
the night brought. When the run may be incremental (same definitions as the published run,
no restage, no ``--full``), each model, in dependency order, is either:

- ``kept``: none of the tables it reads changed in this run; its table stands as published;
- ``merged``: the model is declared key-local (a line ``-- incremental: <key>`` in its SQL:
  each of its rows depends only on the input rows with the same key) and every input that
  changed is a staged table with the key column or a core table merged on the same key. The
  rows of the changed keys are deleted and computed again from the model's SQL with its
  key-bearing inputs narrowed to those keys. The published rows of those keys are kept in
  ``delta.<table>_old``, their rows now in ``delta.<table>_new`` and the keys in
  ``delta.<table>_keys``: the indicators read them to
  find the periods to compute again, the audit to scan only what changed;
- ``rebuilt``: anything else, from the whole history as before, said changed only if its
  content differs (a checksum before and after, leaving out the columns the model declares
  as bookkeeping: ``-- bookkeeping: last_snapshot_date`` — a catalogue snapshot that shows
  nothing new moves only its "last seen" date, and the dossiers need not be merged again).

A staged table changed when it holds rows of this run (``_run_id``); ``meta.*`` tables are
taken as changed (the models reading them are small), ``ref.*`` as unchanged (reference data
is part of the definitions: a new one makes the run a full one). What changed is recorded in
``delta.change``, accumulated over the attempts of a retried run (a retry finds its first
attempt's merges done: the published rows of a key are saved once). The ``delta`` schema is
dropped before publishing: it describes one run's build, never the published warehouse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import duckdb

from warehouse.build import existing_tables, scalar, stored_tables, table_columns
from warehouse.delta import (
    DELTA_SQL,
    KEPT,
    MERGED,
    REBUILT,
    SKIPPED,
    Change,
    delta_table,
    recorded,
)

BOOKKEEPING = re.compile(r"^--\s*bookkeeping:\s*([a-z0-9_, ]+)", re.MULTILINE)
INCREMENTAL = re.compile(r"^--\s*incremental:\s*([a-z_][a-z0-9_]*)\b", re.MULTILINE)


def model_key(sql: str) -> str | None:
    """The key a model is declared local to (``-- incremental: dossier_id``), or None."""
    found = INCREMENTAL.search(sql)
    return found.group(1) if found else None


def bookkeeping(sql: str) -> list[str]:
    """Columns a model declares as its own bookkeeping (``-- bookkeeping: snapshot_date, ...``):
    when the snapshot was last seen, which file said it. No other model reads them (a test
    holds it), so a rebuild that changed only them leaves the tables built on it as they are."""
    found = BOOKKEEPING.search(sql)
    return [c.strip() for c in found.group(1).split(",") if c.strip()] if found else []


def staged_in_run(con: duckdb.DuckDBPyConnection, table: str, run_id: str) -> bool:
    """Whether a staged table holds rows this run loaded (a table without ``_run_id``: yes)."""
    if "_run_id" not in table_columns(con, table):
        return True
    return bool(
        scalar(
            con, f"select count(*) from (select 1 from {table} where _run_id = ? limit 1)", [run_id]
        )
    )


def checksum(
    con: duckdb.DuckDBPyConnection, table: str, leave_out: list[str] | None = None
) -> tuple:
    """Row count and an order-free digest of every row's content (but the ``leave_out`` columns)."""
    rows = f"(select * exclude ({', '.join(leave_out)}) from {table})" if leave_out else table
    return tuple(con.execute(f"select count(*), sum(hash(t)) from {rows} as t").fetchone() or ())


def rows_of_keys(table: str, key: str, keys: str, stored: bool = True) -> str:
    """A query of the rows of ``table`` whose ``key`` is listed in table ``keys``.

    A ``stored`` table (not a view) is searched on its key column alone, and the rows found
    are fetched by ``rowid``: filtering on the key while reading every column decompressed all
    of them for every row (the key's rows of ``stg.dvc_dossier``, 69k of 10M at scale 8: 1.1 s
    that way, 0.4 s this way)."""
    if not stored:
        return f"(select * from {table} where {key} in (select {key} from {keys}))"
    return (
        f"(select * from {table} where rowid in "
        f"(select rowid from {table} where {key} in (select {key} from {keys})))"
    )


def substituted(sql: str, replacements: Mapping[str, str]) -> str:
    """The model's SQL with each table named in ``replacements`` read from its replacement."""
    names = sorted(replacements, key=len, reverse=True)
    if not names:
        return sql
    pattern = re.compile(r"(?<![\w.])(" + "|".join(re.escape(n) for n in names) + r")\b")
    return pattern.sub(lambda m: replacements[m.group(1)], sql)


def _narrowed(n: int) -> str:
    """The temp table of the ``n``-th input ``narrow_inputs`` narrows."""
    return f"_narrow{n}"


def narrow_inputs(
    con: duckdb.DuckDBPyConnection, tables: Iterable[str], key: str, keys: str
) -> dict[str, str]:
    """Each of ``tables`` narrowed to the keys listed in table ``keys``; returns table -> a query
    of its rows of those keys, for the model to read instead (``substituted``).

    A stored table's key column is searched once (a model may read an input twice, the
    dossiers' latest version then that version's row: each read searched the 10M keys of
    ``stg.dvc_dossier`` again, 0.36 s each at scale 8), for the ``rowid`` of each row of the
    keys, kept in a temp table ``_narrow<n>``; the query fetches those rows by ``rowid``, and
    DuckDB reads only the columns the model takes (keeping every column of the rows cost the
    ratings' merge 0.28 s at scale 8, reading the 37 columns of ``core.fct_dossier``'s rows for
    5). A view (no ``rowid``) is filtered on its key once, into ``_narrow<n>``."""
    stored = stored_tables(con)
    queries = {}
    for n, table in enumerate(sorted(set(tables))):
        temp = _narrowed(n)
        if table not in stored:
            rows = rows_of_keys(table, key, keys, stored=False)
            con.execute(f"create or replace temp table {temp} as select * from {rows}")
            queries[table] = f"(select * from {temp})"
            continue
        con.execute(
            f"""create or replace temp table {temp} as
                select rowid as _rowid from {table} where {key} in (select {key} from {keys})"""
        )
        queries[table] = f"(select * from {table} where rowid in (select _rowid from {temp}))"
    return queries


def drop_narrowed(con: duckdb.DuckDBPyConnection, queries: Mapping[str, str]) -> None:
    """Drop the temp tables ``narrow_inputs`` made."""
    for n in range(len(queries)):
        con.execute(f"drop table if exists {_narrowed(n)}")


def merge(
    con: duckdb.DuckDBPyConnection,
    name: str,
    sql: str,
    key: str,
    key_sources: list[str],
    key_bearing: set[str],
) -> bool:
    """Replace the rows of the keys in ``key_sources`` (queries giving ``key``); True if any."""
    old, saved = delta_table(name, "old"), delta_table(name, "keys")
    con.execute(
        "create or replace temp table _merge_keys as select distinct "
        f"{key} from (" + " union all ".join(key_sources) + f") where {key} is not null"
    )
    if not scalar(con, "select count(*) from _merge_keys"):
        return False
    con.execute(f"create table if not exists {old} as select * from {name} limit 0")
    con.execute(f"create table if not exists {saved} as select {key} from _merge_keys limit 0")
    # the rows of the keys, found on the key column alone and then reached by rowid
    # (``rows_of_keys``): saved, then deleted
    con.execute(
        f"""create or replace temp table _hit as
            select rowid as _rowid, {key} as _key from {name}
            where {key} in (select {key} from _merge_keys)"""
    )
    # the published rows of a key, once: a retried run's second merge must not save its first's
    con.execute(
        f"""insert into {old} select * from {name} where rowid in
            (select _rowid from _hit anti join {saved} as s on _hit._key = s.{key})"""
    )
    con.execute(
        f"insert into {saved} select {key} from _merge_keys except select {key} from {saved}"
    )
    con.execute(f"delete from {name} where rowid in (select _rowid from _hit)")
    inputs = narrow_inputs(con, key_bearing, key, "_merge_keys")
    con.execute("create or replace temp table _merged as\n" + substituted(sql, inputs))
    drop_narrowed(con, inputs)
    con.execute(f"insert into {name} by name select * from _merged")
    # and the rows of every key merged in this run as they are now, kept here rather than
    # looked up in the whole table by each indicator: this merge's rows, and those of the keys
    # an earlier attempt of the run merged (only they are read back from the table: fetching
    # a few thousand rows' every column out of millions costs a scan, 0.4 s at scale 8)
    new = delta_table(name, "new")
    con.execute(f"create or replace table {new} as select * from {name} limit 0")
    con.execute(f"insert into {new} by name select * from _merged")
    con.execute(
        f"""create or replace temp table _earlier as
            select {key} from {saved} except select {key} from _merge_keys"""
    )
    if scalar(con, "select count(*) from _earlier"):
        con.execute(f"insert into {new} select * from {rows_of_keys(name, key, '_earlier')}")
    con.execute("drop table _merge_keys; drop table _merged; drop table _earlier; drop table _hit")
    return True


def build_incremental(
    con: duckdb.DuckDBPyConnection,
    sql: dict[str, str],
    deps: dict[str, set[str]],
    order: list[str],
    run_id: str,
) -> dict[str, Change]:
    """Keep, merge or rebuild each core table (module docstring); record it in ``delta.change``."""
    con.execute(DELTA_SQL)
    earlier = recorded(con, run_id)
    present = existing_tables(con)
    done: dict[str, Change] = {}

    def changed(table: str) -> bool:
        if table in done:
            return done[table].changed
        schema = table.split(".", 1)[0]
        if schema == "stg":
            return staged_in_run(con, table, run_id)
        return schema != "ref"  # meta.* (manifest, ...) may change with any night

    for name in order:
        missing = sorted(d for d in deps[name] if d not in present)
        if missing:
            dropped = name in present
            con.execute(f"drop table if exists {name}")
            present.discard(name)
            done[name] = Change(name, SKIPPED, dropped)
            continue
        moved = {t for t in deps[name] if changed(t)}
        key = model_key(sql[name])
        before = earlier.get(name)
        if name in present and not moved:
            done[name] = Change(name, KEPT, bool(before and before.changed))
        elif name in present and key and _mergeable(con, moved, key, done, run_id):
            bearing = {t for t in deps[name] if key in table_columns(con, t)}
            quoted = "'" + run_id.replace("'", "''") + "'"
            sources = [
                f"select {key} from {delta_table(t, 'keys')}"
                if t in done
                else f"select {key} from {t} where _run_id = {quoted}"
                for t in sorted(moved)
            ]
            hit = merge(con, name, sql[name], key, sources, bearing)
            done[name] = Change(name, MERGED, hit or bool(before and before.changed), key)
        else:
            own = bookkeeping(sql[name])
            was: tuple | None = checksum(con, name, own) if name in present else None
            con.execute(f"create or replace table {name} as\n{sql[name]}")
            present.add(name)
            differs = was != checksum(con, name, own)
            done[name] = Change(name, REBUILT, differs or bool(before and before.changed))
    con.executemany(
        "insert into delta.change values (?, ?, ?, ?, ?)",
        [[run_id, c.table, c.how, c.changed, c.key] for c in done.values()],
    )
    return done


def _mergeable(
    con: duckdb.DuckDBPyConnection,
    moved: set[str],
    key: str,
    done: dict[str, Change],
    run_id: str,
) -> bool:
    """Every changed input gives its changed keys: a staged table with the key and ``_run_id``,
    or a core table merged (or kept) on the same key."""
    for table in moved:
        if table in done:
            change = done[table]
            if change.how not in (MERGED, KEPT) or (change.how == MERGED and change.key != key):
                return False
            if change.how == KEPT:  # changed in an earlier attempt, kept now: its keys are saved
                if delta_table(table, "keys") not in existing_tables(con):
                    return False
            continue
        if not table.startswith("stg.") or not {key, "_run_id"} <= table_columns(con, table):
            return False
        # a row without its key has no key to merge by: the whole table is built again
        if scalar(
            con, f"select count(*) from {table} where {key} is null and _run_id = ?", [run_id]
        ):
            return False
    return True
