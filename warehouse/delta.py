"""The ``delta`` schema of a build: what an incremental run changed in its core tables.

Written by ``transforms.core.incremental`` (the core step), read by the indicators (which
periods to compute again) and by the audit (which rows to scan), dropped before publishing:
it describes one run's build, never the published warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from warehouse.build import existing_tables

KEPT, MERGED, REBUILT, SKIPPED = "kept", "merged", "rebuilt", "skipped"
DELTA_SQL = """
create schema if not exists delta;
create table if not exists delta.change (
    run_id varchar, table_name varchar, how varchar, changed boolean, key_column varchar
);
"""


@dataclass(frozen=True)
class Change:
    """What the run did to one core table."""

    table: str
    how: str  # kept | merged | rebuilt | skipped
    changed: bool
    key: str | None = None  # the key column of a merged table


def delta_table(table: str, part: str) -> str:
    """``core.fct_dossier``, ``keys`` -> ``delta.fct_dossier_keys``."""
    return f"delta.{table.split('.', 1)[1]}_{part}"


def recorded(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Change]:
    """What earlier attempts of this run did (a table changed if any attempt changed it)."""
    rows = con.execute(
        """select table_name, arg_max(how, rowid), bool_or(changed), arg_max(key_column, rowid)
           from delta.change where run_id = ? group by table_name""",
        [run_id],
    ).fetchall()
    return {r[0]: Change(r[0], r[1], bool(r[2]), r[3]) for r in rows}


def changes(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Change]:
    """What the run did to each core table (empty if the run built no delta: not incremental)."""
    if "delta.change" not in existing_tables(con):
        return {}
    return recorded(con, run_id)


def drop_delta(con: duckdb.DuckDBPyConnection) -> None:
    """Forget the run's changes (before publishing: they describe the build, not the warehouse)."""
    con.execute("drop schema if exists delta cascade")
