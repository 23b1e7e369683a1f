"""Core tables: dimensions and facts, one SQL file each, named as the table it builds.

``shared/`` holds the dimensions every source joins (units, agencies, dates,
periods) and the delivery facts (completeness, volume); each source's own
tables live in the folder of the source (``dvc/fct_dossier.sql``), with the
per-run views its source-scoped rules read in ``<source>/run_views/``. Which
folders make up the warehouse is said once, in the slice registry
(``flows/registry.py``); the functions here take the folders they are given.

The tables are derived from ``stg.*`` and ``ref.*``, never edited. A full run
rebuilds them all; a night keeps those whose inputs did not change and merges
the changed keys of key-local models (``incremental.py``), with the same result.
The order and the lineage (which tables each one reads) are taken from the SQL
itself, so adding a model is adding a file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb

from warehouse.build import existing_tables

SHARED = Path(__file__).parent / "shared"
TABLE_REF = re.compile(r"\b((?:ref|stg|core|meta|mart)\.[a-z_][a-z0-9_]*)\b")
RUN_VIEWS = "run_views"  # <source folder>/run_views/<view>.sql, with {run_id}: core.<view>_<source>


def models(folders: Iterable[Path]) -> dict[str, str]:
    """``core.<file stem>`` -> its SQL, for every ``*.sql`` directly in ``folders``."""
    found: dict[str, str] = {}
    for folder in folders:
        for path in sorted(Path(folder).glob("*.sql")):
            name = f"core.{path.stem}"
            if name in found:
                raise ValueError(f"core model {name} defined twice (second in {path})")
            found[name] = path.read_text(encoding="utf-8")
    return found


NOT_CODE = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.DOTALL)  # text, comments


def tables_read(sql: str) -> set[str]:
    """The tables ``sql`` reads: its table names outside string literals and comments. A name
    in an error message or a comment reads nothing; taken for an input, ``meta.manifest`` in a
    message made ``core.fct_dossier`` depend on a table that changes every night, so no night
    merged it by key any more (it was built again whole)."""
    return set(TABLE_REF.findall(NOT_CODE.sub(" ", sql)))


def lineage(folders: Iterable[Path]) -> dict[str, set[str]]:
    """Each core table -> the tables its SQL reads."""
    return {name: tables_read(sql) - {name} for name, sql in models(folders).items()}


def build_order(deps: dict[str, set[str]]) -> list[str]:
    graph = {name: {d for d in ds if d in deps} for name, ds in deps.items()}
    return list(TopologicalSorter(graph).static_order())


def build_core(con: duckdb.DuckDBPyConnection, folders: Iterable[Path]) -> dict[str, str]:
    """(Re)build every core table of ``folders`` in dependency order.

    A table whose inputs do not exist yet (a source that has never delivered)
    is skipped, with its dependents. Returns table -> "built" or the reason it
    was skipped.
    """
    folders = list(folders)
    sql = models(folders)
    deps = lineage(folders)
    present = existing_tables(con)
    outcome: dict[str, str] = {}
    for name in build_order(deps):
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


def run_view_sql(folder: Path) -> dict[str, str]:
    """A source folder's per-run views: view stem -> SQL (with ``{run_id}`` to fill in)."""
    return {
        p.stem: p.read_text(encoding="utf-8")
        for p in sorted((Path(folder) / RUN_VIEWS).glob("*.sql"))
    }


def run_views_lineage(sources: dict[str, Path]) -> dict[str, set[str]]:
    """``core.<view>_<source>`` -> the tables it reads, for every source's run views."""
    out: dict[str, set[str]] = {}
    for name, folder in sources.items():
        out[f"core.delivery_volume_{name}"] = {"core.fct_delivery_volume"}
        for view, sql in run_view_sql(folder).items():
            out[f"core.{view}_{name}"] = tables_read(sql)
    return out


def build_run_views(
    con: duckdb.DuckDBPyConnection, sources: dict[str, Path], run_id: str
) -> list[str]:
    """Per-source tables of what this run delivered, for source-scoped rules (volume, units
    missing): each run view's query, kept as a table of its rows at the end of the core step.

    They were views: each check read the view, and a check is several queries (the districts
    missing from a scale-8 first load read its 10M staged dossiers five times, 3.4 s); the
    tables they read do not change between the core step and the checks.

    ``sources``: source name -> its core folder (whose ``run_views/`` are built).
    """
    if not all(c.isalnum() or c == "-" for c in run_id):
        raise ValueError(f"unexpected run id {run_id!r}")
    views = {  # (views in the warehouses written until December 2026)
        r[0]
        for r in con.execute(
            "select 'core.' || view_name from duckdb_views() where schema_name = 'core'"
        ).fetchall()
    }
    built = []
    for name, folder in sources.items():
        queries = {
            "delivery_volume": "select * from core.fct_delivery_volume "
            f"where source = '{name}' and run_id = '{run_id}'",
            **{view: sql.replace("{run_id}", run_id) for view, sql in run_view_sql(folder).items()},
        }
        for view, sql in queries.items():
            relation = f"core.{view}_{name}"
            if relation in views:
                con.execute(f"drop view {relation}")
            con.execute(f"create or replace table {relation} as\n{sql}")
            built.append(relation)
    return built


def build(
    con: duckdb.DuckDBPyConnection,
    folders: Iterable[Path],
    run_views: dict[str, Path],
    run_id: str,
    incremental: bool = False,
) -> dict[str, str]:
    """The core step of a run: every table of ``folders`` (rebuilt, or kept / merged / rebuilt
    as the run's new rows need when ``incremental``), then the run views of ``run_views``."""
    if incremental:
        from transforms.core.incremental import build_incremental

        folders = list(folders)
        deps = lineage(folders)
        done = build_incremental(con, models(folders), deps, build_order(deps), run_id)
        outcome = {name: c.how for name, c in done.items()}
    else:
        outcome = build_core(con, folders)
    for view in build_run_views(con, run_views, run_id):
        outcome[view] = "view"
    return outcome


def outcome_line(outcome: dict[str, str]) -> str:
    """``3 merged (core.fct_dossier, ...); 20 kept; ...`` for the run's log (views left out)."""
    groups: dict[str, list[str]] = {}
    for name, how in outcome.items():
        if how != "view":
            groups.setdefault(how.split(":")[0], []).append(name)
    return "; ".join(
        f"{len(names)} {how}" + (f" ({', '.join(sorted(names))})" if how == "merged" else "")
        for how, names in sorted(groups.items())
    )
