"""The validate step: the suites whose table the build holds, in one GX checkpoint, as check results.

``run_checks`` is the one call the flow makes. GX does the validating and the
reporting (Data Docs, through the checkpoint's action, see ``gx_project``);
this module only maps GX's CheckpointResult to one ``CheckResult`` per
expectation, the row ``audit.check_result`` stores and the gate reads.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from expectations.gx_duckdb import CLOSE_OTHERS, emulated
from expectations.gx_project import render_docs, run_checkpoint
from expectations.suites import Suite, load_thresholds, unique_by_name
from warehouse.build import connect, existing_tables, table_columns
from warehouse.delta import MERGED, delta_table, recorded

__all__ = [
    "CheckResult",
    "CheckRow",
    "check_results",
    "load_thresholds",
    "merged_tables",
    "night_tables",
    "run_checks",
]


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one expectation of one suite (a row of ``audit.check_result``)."""

    suite: str
    table: str
    expectation: str
    column: str | None
    severity: str
    success: bool
    observed_value: str | None
    unexpected_count: int | None
    element_count: int | None
    kwargs: str
    description: str | None
    exception: str | None
    scope: str | None = (
        None  # what a failure blocks when critical: None = the table; "source:<name>"
    )


CheckRow = CheckResult


def tables_of(db_path: str | Path, shared: bool = False) -> set[str]:
    """The tables of the file, opened read-only (``shared``: as the writers open it)."""
    try:
        con = connect(db_path) if shared else duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error as error:
        how = "as the writers do" if shared else "read-only"
        raise RuntimeError(f"could not open {db_path} {how} ({error}). {CLOSE_OTHERS}") from error
    try:
        return existing_tables(con)
    finally:
        con.close()


ROW_LOCAL = {  # expectations a row passes or fails on its own (no share, no count of the table)
    "ExpectColumnValuesToNotBeNull",
    "ExpectColumnValuesToBeInSet",
    "ExpectColumnValuesToBeBetween",
    "ExpectColumnValuesToMatchRegex",
}
# uniqueness that holds across nights by construction: a staged row's content hash (staging
# never loads a hash twice), and a key within one delivered file (a night's files are new)
UNIQUE_BY_CONSTRUCTION = {("ExpectColumnValuesToBeUnique", ("_row_hash",))}


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def row_local(suite: Suite) -> bool:
    """Whether the suite passes on a staged table when it passes on the rows staged before
    and on the night's rows: every expectation is about single rows (no ``mostly`` share,
    no row count), or a uniqueness staging guarantees across nights."""
    for e in suite.expectations:
        kind = type(e).__name__
        columns = tuple(getattr(e, "column_list", None) or [getattr(e, "column", None)])
        stands_for = emulated(getattr(e, "meta", None))
        if stands_for:  # emulated on DuckDB (``for_duckdb``): judged as what it stands for
            kind, columns = _camel(stands_for["expectation"]), (stands_for["column"],)
        mostly = getattr(e, "mostly", None)
        if kind in ROW_LOCAL and mostly in (None, 1, 1.0):
            continue
        if (kind, columns) in UNIQUE_BY_CONSTRUCTION:
            continue
        if kind == "ExpectCompoundColumnsToBeUnique" and "_file_id" in columns:
            continue  # a key per delivered file: a night's files are its own
        return False
    return True


def night_tables(
    con: duckdb.DuckDBPyConnection, suites: Sequence[Suite], base_run_id: str | None
) -> set[str]:
    """Staged tables a night validates on its own rows only: the suite is row-local and every
    check of it passed in the published run (so the rows staged before pass); else the whole
    table, as a first load, ``--full`` or a table that failed last time always is."""
    if base_run_id is None:
        return set()
    passed = passed_tables(con, base_run_id)
    present = existing_tables(con)
    chosen = set()
    for suite in suites:
        if not suite.table.startswith("stg.") or suite.table not in present:
            continue
        if (
            "_run_id" in table_columns(con, suite.table)
            and suite.table in passed
            and row_local(suite)
        ):
            chosen.add(suite.table)
    # a table with two suites is scoped only if both are row-local
    return {t for t in chosen if all(row_local(s) for s in suites if s.table == t)}


def passed_tables(con: duckdb.DuckDBPyConnection, run_id: str) -> set[str]:
    """Tables every check of which passed in run ``run_id``."""
    return {
        r[0]
        for r in con.execute(
            """select table_name from audit.check_result where run_id = ?
               group by table_name having bool_and(success)""",
            [run_id],
        ).fetchall()
    }


def merged_tables(
    con: duckdb.DuckDBPyConnection, base_run_id: str | None, run_id: str
) -> dict[str, tuple[str, str]]:
    """Core tables the night merged by key whose every check passed in the published run:
    table -> (key column, ``delta.*_keys``). A merge replaces all the rows of the keys it
    touches, so the key stays unique if it is unique among those keys: their uniqueness
    check groups them, not the whole table (``gx_duckdb.expect_column_values_to_be_unique``).
    A first load, ``--full`` or a table that failed last time is checked whole."""
    if base_run_id is None:
        return {}
    present = existing_tables(con)
    if "delta.change" not in present:
        return {}
    passed = passed_tables(con, base_run_id)
    return {
        c.table: (c.key, delta_table(c.table, "keys"))
        for c in recorded(con, run_id).values()
        if c.how == MERGED
        and c.key
        and c.table in passed
        and delta_table(c.table, "keys") in present
    }


def run_checks(
    db_path: str | Path,
    suites: Sequence[Suite],
    gx_root: str | Path | None = None,
    run_name: str | None = None,
    night: set[str] | frozenset[str] = frozenset(),
    merged: Mapping[str, tuple[str, str]] | None = None,
    docs: bool = True,
    shared: bool = False,
) -> list[CheckResult]:
    """Validate every suite whose table the build holds; one CheckResult per expectation.

    ``gx_root`` is the persistent GX project (``<home>/gx``: suites, history,
    Data Docs); None validates in a throwaway in-memory project (no Data Docs).
    ``run_name`` names the run in the history (the flow's run id). ``night``: tables
    validated on the rows the running build staged (``night_tables``): their results
    count those rows. ``merged``: core tables a night merged (``merged_tables``). ``docs``:
    False stores the results and renders no Data Docs: the run renders them all once, after
    its last checks (``gx_project.render_docs``). ``shared``: the file is opened as the
    pipeline's writers open it, to read what they committed while this process writes on
    (``gx_duckdb.add_datasource``).
    """
    path = Path(db_path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"DuckDB file not found: {path}")
    present = tables_of(path, shared)
    chosen = {name: s for name, s in unique_by_name(suites).items() if s.table in present}
    if not chosen:
        if docs and gx_root is not None and run_name:
            render_docs(Path(gx_root), run_name)
        return []
    result = run_checkpoint(
        None if gx_root is None else Path(gx_root),
        path,
        {name: (s.table, s.expectations) for name, s in chosen.items()},
        run_name or f"run-{uuid.uuid4()}",
        night=set(night),
        merged=merged,
        docs=docs,
        shared=shared,
    )
    return check_results(result, chosen)


# --------------------------------------------------------------- mapping


def check_results(checkpoint_result: Any, suites: Mapping[str, Suite]) -> list[CheckResult]:
    """GX's CheckpointResult -> CheckResults: suites in checkpoint order, expectations in suite order."""
    order = {
        e.id: i
        for definition in checkpoint_result.checkpoint_config.validation_definitions
        for i, e in enumerate(definition.suite.expectations)
    }
    out = []
    for suite_result in checkpoint_result.run_results.values():
        suite = suites[suite_result.suite_name]
        evrs = sorted(suite_result.results, key=lambda r: order.get(r.expectation_config.id, 0))
        out += [_check_result(suite, evr) for evr in evrs]
    return out


def _check_result(suite: Suite, evr: Any) -> CheckResult:
    config = evr.expectation_config
    stands_for = emulated(config.meta)
    kwargs = (
        {k: v for k, v in stands_for.items() if k != "expectation"}
        if stands_for
        else {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    )
    result = evr.result or {}
    exception = _exception_text(evr.exception_info)
    observed = next(
        (_json(result[k]) for k in ("observed_value", "unexpected_percent") if k in result), None
    )
    unexpected = result.get("observed_value") if stands_for else result.get("unexpected_count")
    return CheckResult(
        suite=suite.name,
        table=suite.table,
        expectation=stands_for.get("expectation", config.type),
        column=stands_for.get("column", _column_of(kwargs)),
        severity=str(getattr(config.severity, "value", config.severity) or "critical"),
        success=bool(evr.success) and exception is None,
        observed_value=observed,
        unexpected_count=None if unexpected is None else int(unexpected),
        element_count=None if result.get("element_count") is None else int(result["element_count"]),
        kwargs=_json(kwargs),
        description=config.description,
        exception=exception,
        scope=suite.scope,
    )


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def _column_of(kwargs: Mapping[str, Any]) -> str | None:
    """The column(s) an expectation is about, as text."""
    if kwargs.get("column") is not None:
        return str(kwargs["column"])
    if kwargs.get("column_A") is not None:
        return f"{kwargs['column_A']}, {kwargs.get('column_B')}"
    if kwargs.get("column_list"):
        return ", ".join(map(str, kwargs["column_list"]))
    return None


def _exception_text(exception_info: Mapping[str, Any] | None) -> str | None:
    """Messages of raised exceptions; GX nests them per metric or gives one flat dict."""
    if not exception_info:
        return None
    infos = [exception_info] if "raised_exception" in exception_info else exception_info.values()
    messages = [
        str(i.get("exception_message") or "exception raised")
        for i in infos
        if isinstance(i, Mapping) and i.get("raised_exception")
    ]
    return "; ".join(dict.fromkeys(messages)) or None
