"""Run the suites whose table exists against a warehouse file, in DuckDB (see gx_duckdb)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb
import yaml

from expectations.gx_duckdb import CheckResult, validate_tables
from expectations.suites import Suite, unique_by_name
from warehouse.build import existing_tables

CheckRow = CheckResult


def load_thresholds(files: Iterable[Path], override: Path | None = None) -> dict:
    """The shipped thresholds (one YAML file per source), with an operator's override merged over them."""
    merged: dict = {}
    for path in files:
        for section, values in (
            yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        ).items():
            if section in merged:
                raise ValueError(f"{path}: threshold section {section!r} defined twice")
            merged[section] = values
    if override:
        for section, values in (
            yaml.safe_load(Path(override).read_text(encoding="utf-8")) or {}
        ).items():
            if section not in merged:
                raise ValueError(
                    f"{override}: unknown section {section!r}; known: {sorted(merged)}"
                )
            unknown = set(values) - set(merged[section])
            if unknown:
                raise ValueError(f"{override}: unknown key(s) {sorted(unknown)} in {section!r}")
            merged[section].update(values)
    return merged


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
