"""Core tables: dimensions and facts, one SQL file each, named as the table it builds.

Every run rebuilds them from ``stg.*`` and ``ref.*`` (they are derived, never
edited). The order and the lineage (which tables each one reads) are taken
from the SQL itself, so adding a model is adding a file.
"""

from __future__ import annotations

import re
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb

HERE = Path(__file__).parent
TABLE_REF = re.compile(r"\b((?:ref|stg|core|meta|mart)\.[a-z_][a-z0-9_]*)\b")


def models(folder: Path = HERE) -> dict[str, str]:
    """``core.<file stem>`` -> its SQL."""
    return {f"core.{p.stem}": p.read_text() for p in sorted(folder.glob("*.sql"))}


def tables_read(sql: str) -> set[str]:
    return set(TABLE_REF.findall(sql))


def lineage(folder: Path = HERE) -> dict[str, set[str]]:
    """Each core table -> the tables its SQL reads."""
    return {name: tables_read(sql) - {name} for name, sql in models(folder).items()}


def build_order(folder: Path = HERE) -> list[str]:
    deps = lineage(folder)
    graph = {name: {d for d in ds if d in deps} for name, ds in deps.items()}
    return list(TopologicalSorter(graph).static_order())


def existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        ).fetchall()
    }


def build_core(con: duckdb.DuckDBPyConnection, folder: Path = HERE) -> dict[str, str]:
    """(Re)build every core table in dependency order.

    A table whose inputs do not exist yet (a source that has never delivered)
    is skipped, with its dependents. Returns table -> "built" or the reason it
    was skipped.
    """
    sql = models(folder)
    deps = lineage(folder)
    present = existing_tables(con)
    outcome: dict[str, str] = {}
    for name in build_order(folder):
        missing = sorted(d for d in deps[name] if d not in present)
        if missing:
            outcome[name] = "skipped: no " + ", ".join(missing)
            con.execute(f"drop table if exists {name}")
            present.discard(name)
            continue
        con.execute(f"create or replace table {name} as\n{sql[name]}")
        present.add(name)
        outcome[name] = "built"
    return outcome


RUN_VIEWS = HERE / "run_views"  # <source>.<view>.sql, with {run_id}: core.<view>_<source>


def build_run_views(con: duckdb.DuckDBPyConnection, sources: list[str], run_id: str) -> list[str]:
    """Per-source views of what this run delivered, for source-scoped rules (volume, units missing)."""
    if not all(c.isalnum() or c == "-" for c in run_id):
        raise ValueError(f"unexpected run id {run_id!r}")
    built = []
    for name in sources:
        con.execute(
            f"""create or replace view core.delivery_volume_{name} as
                select * from core.fct_delivery_volume where source = '{name}' and run_id = '{run_id}'"""
        )
        built.append(f"core.delivery_volume_{name}")
        for path in sorted(RUN_VIEWS.glob(f"{name}.*.sql")):
            view = f"core.{path.name.split('.')[1]}_{name}"
            con.execute(
                f"create or replace view {view} as\n" + path.read_text().replace("{run_id}", run_id)
            )
            built.append(view)
    return built
