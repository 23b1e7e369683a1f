"""Run the suites whose table exists against a warehouse file, in DuckDB (see gx_duckdb)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import duckdb

from expectations.gx_duckdb import CheckResult, validate_tables
from expectations.suites import Suite, load_thresholds, unique_by_name
from warehouse.build import existing_tables

CheckRow = CheckResult
__all__ = ["CheckResult", "CheckRow", "load_thresholds", "run_checks", "tables_of"]


def tables_of(db_path: str | Path) -> set[str]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return existing_tables(con)
    finally:
        con.close()


def run_checks(
    db_path: str | Path, suites: Sequence[Suite], docs_dir: Path | None = None
) -> list[CheckResult]:
    """Validate every suite whose table the build holds; return every expectation's result."""
    present = tables_of(db_path)
    chosen = {name: s for name, s in unique_by_name(suites).items() if s.table in present}
    results = validate_tables(
        db_path, {n: (s.table, s.expectations) for n, s in chosen.items()}, docs_dir
    )
    return [dataclasses.replace(r, scope=chosen[r.suite].scope) for r in results]
