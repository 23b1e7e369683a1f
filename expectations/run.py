"""Run every suite whose table exists against a warehouse file, in DuckDB (see gx_duckdb)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import yaml

from expectations.gx_duckdb import CheckResult, validate_tables
from expectations.suites import all_suites

THRESHOLDS = Path(__file__).with_name("thresholds")  # one YAML file per source
CheckRow = CheckResult


def load_thresholds(override: Path | None = None) -> dict:
    """The shipped thresholds, with an operator's override file merged over them (per section)."""
    merged: dict = {}
    for path in sorted(THRESHOLDS.glob("*.yml")):
        merged.update(yaml.safe_load(path.read_text()) or {})
    if override:
        for section, values in (yaml.safe_load(Path(override).read_text()) or {}).items():
            if section not in merged:
                raise ValueError(
                    f"{override}: unknown section {section!r}; known: {sorted(merged)}"
                )
            unknown = set(values) - set(merged[section])
            if unknown:
                raise ValueError(f"{override}: unknown key(s) {sorted(unknown)} in {section!r}")
            merged[section].update(values)
    return merged


def existing_tables(db_path: str | Path) -> set[str]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        rows = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        ).fetchall()
    finally:
        con.close()
    return {r[0] for r in rows}


def run_checks(
    db_path: str | Path, quality_file: Path | None = None, docs_dir: Path | None = None
) -> list[CheckResult]:
    """Validate every suite whose table the build holds; return every expectation's result."""
    present = existing_tables(db_path)
    suites = {
        name: s for name, s in all_suites(load_thresholds(quality_file)).items() if s[0] in present
    }
    return validate_tables(db_path, suites, docs_dir)
