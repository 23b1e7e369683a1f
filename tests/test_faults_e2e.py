"""End to end: the real nightly on a landing with 5 % of its rows corrupted publishes, quarantines
exactly the injected rows by rule, and leaves the indicators the faults cannot reach as a clean run does."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import CATALOGUE_FILES, MODEL_FOLDERS, inject, published, simulate_source

START, END = (
    date(2024, 12, 1),
    date(2025, 1, 31),
)  # December: the enterprise survey is delivered then
RUN_SOURCES = ["dvc", "docs", "tax", "enterprise"]
CORRUPTED = ["dvc.rating", "docs", "tax", "enterprise"]  # dvc: ratings only, so T01-T04 cannot move
RATE = 0.05

# two nightlies (~60 s): `make test-slow`
pytestmark = pytest.mark.slow


def run_nightly(home: Path, landing: Path):  # noqa: ANN201 - a Prefect state
    from flows.nightly import nightly

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHISO_HOME", str(home))
        mp.setenv("CHISO_LANDING_URL", str(landing))
        mp.setenv("CHISO_PII_KEY", "test-key")
        mp.setenv("CHISO_SOURCES", ",".join(RUN_SOURCES))
        return nightly(return_state=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, prefect_server) -> dict:
    """A clean nightly and a nightly on a corrupted copy of the same landing."""
    root = tmp_path_factory.mktemp("faults-e2e")
    clean = root / "clean" / "landing"
    for name in RUN_SOURCES:
        simulate_source(name, clean, START, END, scale=0.02, seed=7)
    faulty = Path(shutil.copytree(clean, root / "faulty" / "landing"))
    ledger = inject(faulty, RATE, sources=CORRUPTED)
    return {
        "ledger": ledger,
        "clean": (root / "clean" / "home", run_nightly(root / "clean" / "home", clean)),
        "faulty": (root / "faulty" / "home", run_nightly(root / "faulty" / "home", faulty)),
    }


def q(home: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(home / "chiso.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_corrupted_run_publishes(runs):
    for which in ("clean", "faulty"):
        home, state = runs[which]
        assert published(state), (which, state.name, state.message)
        assert q(home, "select status, indicators_blocked from audit.run") == [
            ("published", None)
        ], which
    assert runs["clean"][1].is_completed()  # the faulty one asks for attention (quarantine)
    ledger = runs["ledger"]
    assert set(ledger["source"]) == {"dvc", "docs", "tax", "enterprise"}
    assert set(ledger.filter(pl.col("source") == "dvc")["dataset"]) == {"rating"}


def test_the_quarantine_holds_exactly_the_injected_rows_by_rule(runs):
    sql = "select source, dataset, file_name, row, rule from audit.quarantine"
    clean, faulty = set(q(runs["clean"][0], sql)), set(q(runs["faulty"][0], sql))
    expected = set(
        runs["ledger"].select("source", "dataset", "file_name", "row", "rule").iter_rows()
    )
    assert clean <= faulty
    assert faulty - clean == expected
    assert len(expected) > 50


def test_every_file_balances_and_no_other_row_changes_fate(runs):
    balance = "select count(*), count(*) filter (where balanced) from mart.file_balance"
    for which in ("clean", "faulty"):
        ((files, balanced),) = q(runs[which][0], balance)
        assert files > 50 and files == balanced, which
    sql = "select name, rows_read, rows_loaded, rows_quarantined, rows_duplicate from meta.manifest"
    clean = {r[0]: r[1:] for r in q(runs["clean"][0], sql)}
    faulty = {r[0]: r[1:] for r in q(runs["faulty"][0], sql)}
    injected = Counter(runs["ledger"]["file_name"])
    assert faulty.keys() == clean.keys()
    for name, (read, loaded, quarantined, duplicate) in clean.items():
        n = injected[name]
        assert faulty[name] == (read, loaded - n, quarantined + n, duplicate), name


def reached_by_faults(tables: set[str]) -> set[str]:
    """Indicators that read, directly or through core tables, one of ``tables``."""
    from transforms import core
    from transforms.marts.indicators import load_catalogue

    lineage = core.lineage(MODEL_FOLDERS)

    def upstream(names: set[str]) -> set[str]:
        seen, todo = set(), list(names)
        while todo:
            t = todo.pop()
            if t not in seen:
                seen.add(t)
                todo += lineage.get(t, set())
        return seen

    return {i.id for i in load_catalogue(CATALOGUE_FILES) if upstream(i.inputs) & tables}


def test_indicators_the_faults_cannot_reach_are_identical_to_the_clean_run(runs):
    corrupted_tables = {
        "stg.dvc_rating",
        "stg.docs_work_file",
        "stg.tax_retail_store",
        "stg.enterprise_survey",
    }
    reached = reached_by_faults(corrupted_tables)
    assert {"T01", "T02", "T03", "T04"}.isdisjoint(reached) and {"T05", "T10"} <= reached
    values = """select indicator_id, period_type, period_label, admin_level, admin_code,
                       numerator, denominator, value, met, status from mart.indicator_value"""
    card = (
        "select indicator_id, admin_level, admin_code, value, target, met, gap from mart.scorecard"
    )
    for sql in (values, card):
        clean = sorted(r for r in q(runs["clean"][0], sql) if r[0] not in reached)
        faulty = sorted(r for r in q(runs["faulty"][0], sql) if r[0] not in reached)
        assert clean == faulty
        assert {r[0] for r in clean} >= {"T01", "T02", "T03", "T04"}
    # and the faults did reach what they could: the corrupted sources' indicators moved somewhere
    moved = set(q(runs["clean"][0], values)) ^ set(q(runs["faulty"][0], values))
    assert {r[0] for r in moved} & reached
