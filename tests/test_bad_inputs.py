"""The bad-input catalogue: every fixture of ``tests/bad_inputs/catalogue.yml`` through extract and
staging, each with the outcome the catalogue promises for it.

Per case: a fresh build file; the case's clean baseline and earlier deliveries (if any) extracted
and staged as run ``r0``; the fixture file(s) dropped into the landing zone and taken by run
``r1``; then the outcome is checked exactly (manifest status and message, row balance, the
quarantine's rules, rows and reasons, what was staged, and for table-level faults which
indicators a failed critical check blocks). No Prefect: the pure functions the flow calls.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from conftest import CATALOGUE_FILES, MODEL_FOLDERS, SOURCES, lineage, run_all_checks, staging

from sources.extract import extract
from transforms import core
from transforms.staging.run import load_reference, stage_source
from warehouse import build as wh

HERE = Path(__file__).resolve().parent / "bad_inputs"
CATALOGUE = yaml.safe_load((HERE / "catalogue.yml").read_text(encoding="utf-8"))
BASELINES: dict[str, list[dict]] = CATALOGUE["baselines"]
CASES: list[dict] = CATALOGUE["cases"]
OUTCOMES = {"error", "quarantine", "duplicate", "loads", "blocked"}
KEY = b"k"


def drop(landing: Path, files: list[dict]) -> None:
    """Put fixture files where the source delivers them."""
    for f in files:
        target = landing / f["landing"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(HERE / f["file"], target)


def take_and_stage(con, source: str, landing: Path, tmp: Path, run_id: str) -> None:
    extract(con, SOURCES[source], str(landing), tmp / "raw", run_id)
    stage_source(con, *staging(source), KEY, run_id)


def manifest_of(con, name: str) -> dict:
    rows = con.execute(
        """select file_id, status, error, rows_read, rows_loaded, rows_quarantined, rows_duplicate,
                  duplicate_of, run_id from meta.manifest where name = ?""",
        [name],
    ).fetchall()
    assert len(rows) == 1, f"{name}: {len(rows)} manifest rows"
    keys = [
        "file_id",
        "status",
        "error",
        "read",
        "loaded",
        "quarantined",
        "duplicate",
        "duplicate_of",
        "run_id",
    ]
    return dict(zip(keys, rows[0], strict=True))


def build_core_tables(con, targets: list[str]) -> None:
    """Build the core tables named and everything they are built from, in dependency order."""
    lineage = core.lineage(MODEL_FOLDERS)
    needed, todo = set(), list(targets)
    while todo:
        t = todo.pop()
        if t not in needed and t in lineage:
            needed.add(t)
            todo.extend(lineage[t])
    models = core.models(MODEL_FOLDERS)
    for name in core.build_order(core.lineage(MODEL_FOLDERS)):
        if name in needed:
            con.execute(f"create or replace table {name} as {models[name]}")


def text_columns(con) -> list[tuple[str, str, str]]:
    return con.execute(
        """select table_schema, table_name, column_name from information_schema.columns
           where data_type = 'VARCHAR' and table_schema not in ('information_schema', 'pg_catalog')"""
    ).fetchall()


def assert_absent(con, texts: list[str]) -> None:
    """None of ``texts`` appears in any text column of any table of the build file."""
    for schema, table, column in text_columns(con):
        for text in texts:
            hits = con.execute(
                f'select count(*) from {schema}.{table} where position(? in "{column}") > 0', [text]
            ).fetchone()[0]
            assert hits == 0, f"{text!r} found in {schema}.{table}.{column}"


def assert_rows(m: dict, rows: dict) -> None:
    got = {k: m[k] for k in ("read", "loaded", "quarantined", "duplicate")}
    assert got == rows, f"row counts {got} != {rows}"
    assert m["read"] == m["loaded"] + m["quarantined"] + m["duplicate"], "rows do not balance"


def assert_quarantine(con, m: dict, expected: list[dict]) -> None:
    got = con.execute(
        'select "row", rule, reason, record from audit.quarantine where file_id = ? order by "row", rule',
        [m["file_id"]],
    ).fetchall()
    assert [(r[0], r[1]) for r in got] == [(q["row"], q["rule"]) for q in expected], got
    for (_, rule, reason, _), q in zip(got, expected, strict=True):
        assert q["reason"] in reason, f"{rule}: reason {reason!r} lacks {q['reason']!r}"


def assert_sql(con, checks: list[dict]) -> None:
    for check in checks:
        got = [list(r) for r in con.execute(check["query"]).fetchall()]
        want = check["equals"]
        if not isinstance(want, list):
            want = [[want]]
        got = [
            [str(v) if v is not None and not isinstance(v, bool | int | float) else v for v in r]
            for r in got
        ]
        assert got == want, f"{check['query']}: {got} != {want}"


def blocked_by_checks(build: Path) -> tuple[dict[str, str], list]:
    """Run the GX suites on the build file (as the flow's validate step) and apply the gate."""
    from expectations.gate import blocked_indicators, failed_critical
    from transforms.marts.indicators import load_catalogue

    results = run_all_checks(build)
    failed = failed_critical(results)
    inputs = {i.id: i.inputs for i in load_catalogue(CATALOGUE_FILES)}
    return blocked_indicators(inputs, lineage(), failed), [r for r in results if not r.success]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input(case, tmp_path):
    source, expect = case["source"], case["expect"]
    # the case itself is well formed
    assert [c["id"] for c in CASES].count(case["id"]) == 1, "duplicate case id"
    assert case["dataset"] in SOURCES[source].datasets and expect["outcome"] in OUTCOMES
    for f in [*case["files"], *case.get("before", []), *BASELINES.get(case.get("baseline"), [])]:
        assert (HERE / f["file"]).is_file(), f["file"]
        assert f["landing"].startswith(source + "/"), f["landing"]
    build = wh.prepare_build(tmp_path / "pub.duckdb", tmp_path / "build.duckdb")
    con = wh.connect(build)
    try:
        load_reference(con)
        landing = tmp_path / "landing"
        earlier = [*BASELINES.get(case.get("baseline"), []), *case.get("before", [])]
        if earlier:
            drop(landing, earlier)
            take_and_stage(con, source, landing, tmp_path, "r0")
            bad = con.execute(
                "select name, status, error from meta.manifest where status not in ('loaded', 'duplicate')"
            ).fetchall()
            assert not bad, f"baseline did not load cleanly: {bad}"
        drop(landing, case["files"])
        take_and_stage(con, source, landing, tmp_path, "r1")

        name = Path(case["files"][-1]["landing"]).name  # the fixture whose outcome is checked
        m = manifest_of(con, name)
        assert m["run_id"] == "r1"
        outcome = expect["outcome"]
        if outcome == "error":
            assert m["status"] == "error", m
            assert name in m["error"], m["error"]
            for part in expect["error"]:
                assert part in m["error"], f"error {m['error']!r} lacks {part!r}"
            assert m["read"] is None and m["loaded"] is None
        else:
            assert m["status"] == expect.get("status", "loaded"), m
            assert m["error"] is None
            assert_rows(m, expect["rows"])
            assert_quarantine(con, m, expect.get("quarantine", []))
            if outcome == "quarantine":
                assert m["quarantined"] > 0 and m["loaded"] > 0
            if outcome == "duplicate":
                assert m["duplicate"] > 0
                if m["status"] == "duplicate":
                    first = manifest_of(con, Path(case["before"][-1]["landing"]).name)
                    assert m["duplicate_of"] == first["file_id"]
            if outcome == "loads":
                assert m["quarantined"] == 0 and m["duplicate"] == 0
        if "core" in expect:
            build_core_tables(con, expect["core"])
        assert_sql(con, expect.get("sql", []))
        assert_absent(con, expect.get("absent", []))
        if outcome == "blocked":
            wh.checkpoint_and_close(con)
            blocked, failed = blocked_by_checks(build)
            assert sorted(blocked) == sorted(expect["blocked"]), blocked
            names = sorted(
                {
                    f"{r.expectation}({r.column}) on {r.table}"
                    for r in failed
                    if r.severity == "critical"
                }
            )
            assert names == sorted(expect["failed"]), names
    finally:
        con.close()
