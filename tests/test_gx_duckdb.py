"""GX 1.x validating DuckDB files in-database: the workaround (gx_duckdb) and the results (run)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import great_expectations.expectations as E
import pytest

from expectations import gx_duckdb as g
from expectations.run import CheckResult, check_results, run_checks
from expectations.suites import Suite

N = 100


def make_db(path: Path) -> Path:
    """stg.t: 100 rows with one passing and one failing column per expectation kind."""
    con = duckdb.connect(str(path))
    con.execute("create schema stg")
    con.execute(
        f"""
        create table stg.t as select
            i as id,
            i % 10 as grp,
            i % 50 as dup,
            case when i % 10 = 0 then null else 'x' end as with_nulls,
            case when i % 10 = 0 then null else i end as id_with_nulls,
            ['A', 'B', 'C'][i % 3 + 1] as status,
            i - 1 as score,
            i * 2 as big,
            i as small,
            'HG-' || lpad(cast(i as varchar), 8, '0') as code,
            case when i % 25 = 0 then 'bad{{' || i || '}}' else 'HG-' || i end as code2
        from range(1, {N + 1}) r(i)
        """
    )
    con.execute("create table stg.other as select 1 as x")
    con.close()
    return path


def by_description(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.description: r for r in results if r.description}


SUITE_T = [
    E.ExpectColumnValuesToNotBeNull(column="id", description="nn ok"),
    E.ExpectColumnValuesToNotBeNull(column="with_nulls", description="nn bad", severity="warning"),
    E.ExpectColumnValuesToBeUnique(column="id", description="uq ok"),
    E.ExpectColumnValuesToBeUnique(column="dup", description="uq bad"),
    E.ExpectColumnValuesToBeUnique(column="id_with_nulls", description="uq nulls ok"),
    E.ExpectCompoundColumnsToBeUnique(column_list=["grp", "id"], description="cuq ok"),
    E.ExpectCompoundColumnsToBeUnique(column_list=["grp", "dup"], description="cuq bad"),
    E.ExpectColumnValuesToBeInSet(column="status", value_set=["A", "B", "C"], description="set ok"),
    E.ExpectColumnValuesToBeInSet(
        column="status", value_set=["A", "B"], description="set bad", severity="info"
    ),
    E.ExpectColumnValuesToBeBetween(
        column="score", min_value=0, max_value=89, mostly=0.85, description="btw ok"
    ),
    E.ExpectColumnValuesToBeBetween(
        column="score", min_value=0, max_value=89, mostly=0.95, description="btw bad"
    ),
    E.ExpectTableRowCountToBeBetween(min_value=1, max_value=1000, description="rows ok"),
    E.ExpectTableRowCountToBeBetween(min_value=200, max_value=300, description="rows bad"),
    E.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A="big", column_B="small", description="ab ok"
    ),
    E.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A="small", column_B="big", description="ab bad"
    ),
    E.ExpectColumnValuesToMatchRegex(column="code", regex=r"^HG-\d{8}$", description="re ok"),
    E.ExpectColumnValuesToMatchRegex(column="code2", regex=r"^HG-\d+$", description="re bad"),
    g.expect_column_values_to_match_regex(
        "code2", r"^HG-", severity="warning", description="re helper bad"
    ),
    E.ExpectColumnValuesToNotBeNull(column="no_such_column", description="errors"),
]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    db = make_db(tmp_path_factory.mktemp("gx") / "wh.duckdb")
    suites = [
        Suite("suite_t", "stg.t", SUITE_T),
        Suite("suite_missing", "stg.missing", [E.ExpectColumnValuesToNotBeNull(column="x")]),
        Suite("suite_other", "stg.other", [E.ExpectTableRowCountToBeBetween(min_value=1)]),
    ]
    return db, run_checks(db, suites)


@pytest.mark.parametrize(
    "kind",
    ["nn", "uq", "cuq", "set", "btw", "rows", "ab", "re"],
)
def test_pass_and_fail_of_each_kind(run, kind):
    results = by_description(run[1])
    assert results[f"{kind} ok"].success, results[f"{kind} ok"]
    assert results[f"{kind} ok"].exception is None
    assert not results[f"{kind} bad"].success, results[f"{kind} bad"]
    assert results[f"{kind} bad"].exception is None


def test_observed_values(run):
    r = by_description(run[1])
    assert (r["nn bad"].unexpected_count, r["nn bad"].element_count) == (10, N)
    assert json.loads(r["nn bad"].observed_value) == pytest.approx(10.0)
    assert r["uq bad"].unexpected_count == N
    assert r["set bad"].unexpected_count == 33  # i % 3 == 2 -> 'C'
    assert json.loads(r["btw bad"].observed_value) == pytest.approx(10.0)
    assert json.loads(r["btw bad"].kwargs)["mostly"] == 0.95
    assert json.loads(r["rows bad"].observed_value) == N
    assert r["rows bad"].column is None
    assert r["ab bad"].unexpected_count == N
    assert r["ab bad"].column == "small, big"
    assert r["cuq bad"].column == "grp, dup"


def test_regex_is_emulated_for_duckdb(run):
    r = by_description(run[1])
    for key in ("re ok", "re bad", "re helper bad"):
        assert r[key].expectation == "expect_column_values_to_match_regex"
    assert r["re bad"].column == "code2"
    assert r["re bad"].unexpected_count == 4  # i = 25, 50, 75, 100
    assert json.loads(r["re bad"].kwargs) == {"column": "code2", "regex": r"^HG-\d+$"}
    assert r["re ok"].unexpected_count == 0


def test_uniqueness_is_emulated_for_duckdb_and_counted_as_gx_counts(run):
    r = by_description(run[1])
    for key in ("uq ok", "uq bad", "uq nulls ok"):
        assert r[key].expectation == "expect_column_values_to_be_unique"
    assert r["uq bad"].column == "dup"
    assert json.loads(r["uq bad"].kwargs) == {"column": "dup"}
    assert r["uq bad"].unexpected_count == N  # every row whose value another row has
    assert r["uq ok"].unexpected_count == 0
    assert r["uq nulls ok"].success  # nulls are not values (ten of them, as GX ignores them)


def test_emulated_checks_are_judged_as_what_they_stand_for():
    from expectations.run import row_local

    def suite(*expectations):
        return Suite("s", "stg.t", [g.for_duckdb(e) for e in expectations])

    assert row_local(suite(E.ExpectColumnValuesToBeUnique(column="_row_hash")))
    assert row_local(suite(E.ExpectColumnValuesToMatchRegex(column="code", regex="^HG")))
    assert not row_local(suite(E.ExpectColumnValuesToBeUnique(column="id")))


def test_severity_carried_through(run):
    r = by_description(run[1])
    assert r["nn bad"].severity == "warning"
    assert r["set bad"].severity == "info"
    assert r["re helper bad"].severity == "warning"
    assert r["uq bad"].severity == "critical"


def test_erroring_expectation_is_reported_not_raised(run):
    r = by_description(run[1])["errors"]
    assert r.success is False
    assert "no_such_column" in r.exception


def test_a_suite_whose_table_is_missing_is_left_out(run):
    assert {r.suite for r in run[1]} == {"suite_t", "suite_other"}


def test_a_failing_query_does_not_break_the_suites_after_it(tmp_path):
    """A missing table aborts DuckDB's transaction on GX's one connection; the next suite still runs."""
    from expectations.gx_project import run_checkpoint

    db = make_db(tmp_path / "wh.duckdb")
    suites = {
        "broken": ("stg.missing", [E.ExpectColumnValuesToNotBeNull(column="x")]),
        "after": ("stg.other", [E.ExpectTableRowCountToBeBetween(min_value=1)]),
    }
    result = run_checkpoint(None, db, suites, "r")
    rows = check_results(result, {n: Suite(n, t, e) for n, (t, e) in suites.items()})
    broken, after = rows
    assert (broken.suite, broken.success) == ("broken", False) and "missing" in broken.exception
    assert (after.suite, after.success, after.exception) == ("after", True, None)


def test_results_follow_suite_order(run):
    t = [r for r in run[1] if r.suite == "suite_t"]
    assert [r.description for r in t] == [e.description for e in SUITE_T]
    assert [r.suite for r in run[1]] == ["suite_t"] * len(SUITE_T) + ["suite_other"]


def test_scope_is_carried_from_the_suite(tmp_path):
    db = make_db(tmp_path / "wh.duckdb")
    rule = E.ExpectTableRowCountToBeBetween(min_value=1)
    (r,) = run_checks(db, [Suite("vol", "stg.other", [rule], scope="source:dvc")])
    assert r.scope == "source:dvc" and r.table == "stg.other"


def test_callers_expectations_untouched(run):
    assert all(e.id is None for e in SUITE_T)


def test_file_reopens_read_write_after_validation(run):
    con = duckdb.connect(str(run[0]))
    con.execute("create or replace table stg.after as select 1 as x")
    con.close()


def test_no_network_during_validation(tmp_path, monkeypatch):
    def refuse(self, address):
        raise AssertionError(f"network connection attempted: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    db = make_db(tmp_path / "wh.duckdb")
    (res,) = run_checks(db, [Suite("s", "stg.other", [E.ExpectTableRowCountToBeBetween()])])
    assert res.success


def test_fresh_process_import_and_run_offline(tmp_path):
    """Import GX with sockets refused, no progress bars on stderr, and reopen read-write."""
    db = make_db(tmp_path / "wh.duckdb")
    script = textwrap.dedent(
        f"""
        import socket, sys
        def refuse(self, address):
            raise SystemExit(f"network connection attempted: {{address}}")
        socket.socket.connect = refuse
        sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
        import duckdb
        import great_expectations.expectations as E
        from expectations.run import run_checks
        from expectations.suites import Suite
        (r,) = run_checks({str(db)!r}, [Suite("s", "stg.t", [E.ExpectColumnValuesToBeUnique(column="dup")])])
        assert r.success is False and r.unexpected_count == {N}, r
        duckdb.connect({str(db)!r}).execute("create table stg.z as select 1").close()
        print("OK")
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "GX_ANALYTICS_ENABLED"}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("OK")
    assert "Calculating Metrics" not in proc.stderr


def test_patch_is_idempotent():
    g.patch_gx_for_duckdb()
    g.patch_gx_for_duckdb()
    dialects = g._gx_sa_engine._PERSISTED_CONNECTION_DIALECTS
    assert sum(1 for d in dialects if str(getattr(d, "value", d)) == "duckdb") == 1
    assert "duckdb" in dialects
    assert g._gx_sa_engine._dialect_requires_persisted_connection(
        connection_string="duckdb:////tmp/x.duckdb"
    )


def test_gx_is_the_version_the_workaround_was_verified_on():
    """Upgrading GX: re-run this file; if it passes, move GX_VERSION_TESTED (and the pin) together."""
    import great_expectations

    assert great_expectations.__version__ == g.GX_VERSION_TESTED, (
        f"GX {great_expectations.__version__} installed, the DuckDB workaround "
        f"(expectations/gx_duckdb.py; GX issues #10738, #11579) was verified on {g.GX_VERSION_TESTED}"
    )


def test_patch_guard_fails_loudly_when_gx_name_is_gone(monkeypatch):
    monkeypatch.delattr(g._gx_sa_engine, "_PERSISTED_CONNECTION_DIALECTS")
    with pytest.raises(g.GXDuckDBPatchError, match="_PERSISTED_CONNECTION_DIALECTS"):
        g.patch_gx_for_duckdb()


def test_patch_guard_fails_loudly_when_gx_ignores_it(monkeypatch):
    monkeypatch.setattr(
        g._gx_sa_engine, "_dialect_requires_persisted_connection", lambda **_: False
    )
    with pytest.raises(g.GXDuckDBPatchError, match="no longer makes GX keep"):
        g.patch_gx_for_duckdb()


def test_missing_file_is_not_created(tmp_path):
    with pytest.raises(FileNotFoundError):
        run_checks(tmp_path / "nope.duckdb", [])
    assert not (tmp_path / "nope.duckdb").exists()


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        (None, None),
        ({"raised_exception": False, "exception_message": None}, None),
        ({"raised_exception": True, "exception_message": "boom"}, "boom"),
        (
            {
                "m1": {"raised_exception": True, "exception_message": "a"},
                "m2": {"raised_exception": True, "exception_message": "a"},
            },
            "a",
        ),
    ],
)
def test_exception_text(info, expected):
    from expectations.run import _exception_text

    assert _exception_text(info) == expected


def test_column_of():
    from expectations.run import _column_of

    assert _column_of({"column": "a"}) == "a"
    assert _column_of({"column_A": "a", "column_B": "b"}) == "a, b"
    assert _column_of({"column_list": ["a", "b"]}) == "a, b"
    assert _column_of({"min_value": 1}) is None


def test_sql_string_escapes_quotes_and_braces():
    assert g._literal("it's {1}") == "'it''s {{1}}'"


def test_open_connection_in_process_gives_clear_error(tmp_path):
    db = make_db(tmp_path / "wh.duckdb")
    suites = [Suite("s", "stg.other", [E.ExpectTableRowCountToBeBetween(min_value=1)])]
    con = duckdb.connect(str(db))
    try:
        with pytest.raises(RuntimeError, match="Close every other DuckDB connection"):
            run_checks(db, suites)
    finally:
        con.close()
    assert run_checks(db, suites)[0].success


def test_shared_checks_read_what_a_writer_of_the_process_committed_while_it_writes_on(tmp_path):
    """The nightly's checks run beside the indicators (``flows.nightly``): GX joins the file the
    process holds open read-write, sees its committed rows and not the open transaction's, and
    leaves the writer able to commit."""
    from warehouse.build import connect

    db = make_db(tmp_path / "wh.duckdb")
    writer = connect(db)
    try:
        writer.execute("insert into stg.other values (2)")  # committed: GX counts it
        writer.begin()
        writer.execute("insert into stg.other select i from range(10) r(i)")  # not yet
        rules = [
            E.ExpectTableRowCountToBeBetween(min_value=2, max_value=2, description="committed")
        ]
        (row,) = run_checks(db, [Suite("s", "stg.other", rules)], shared=True)
        assert row.success, row
        writer.commit()
        assert writer.execute("select count(*) from stg.other").fetchall() == [(12,)]
        with pytest.raises(RuntimeError, match="Close every other DuckDB connection"):
            run_checks(db, [Suite("s", "stg.other", rules)])  # read-only: refused beside it
    finally:
        writer.close()


def test_patch_guard_fails_loudly_when_duckdb_engine_no_longer_names_itself(monkeypatch):
    import duckdb_engine

    monkeypatch.delattr(duckdb_engine, "supports_user_agent")
    with pytest.raises(g.GXDuckDBPatchError, match="supports_user_agent"):
        g.patch_gx_for_duckdb()


def test_an_emulated_check_runs_its_query_once_to_count(tmp_path, monkeypatch):
    """GX's own ``UnexpectedRowsExpectation`` also fetches the rows (a second run of the query);
    the emulated checks only count them, with the same counts."""
    from great_expectations.expectations.metrics.query_metrics.query_table.query_table import (
        QueryTable,
    )

    fetched: list[str] = []
    original = QueryTable._get_sqlalchemy_records_from_substituted_batch_subquery.__func__

    def fetch(cls, substituted_batch_subquery, **kwargs):
        fetched.append(str(substituted_batch_subquery))
        return original(cls, substituted_batch_subquery=substituted_batch_subquery, **kwargs)

    monkeypatch.setattr(
        QueryTable, "_get_sqlalchemy_records_from_substituted_batch_subquery", classmethod(fetch)
    )
    db = make_db(tmp_path / "wh.duckdb")
    checks = [
        E.ExpectColumnValuesToBeUnique(column="dup", description="uq bad"),
        E.ExpectColumnValuesToMatchRegex(column="code2", regex=r"^HG-\d+$", description="re bad"),
    ]
    r = by_description(run_checks(db, [Suite("suite_t", "stg.t", checks)]))
    assert (r["uq bad"].unexpected_count, r["re bad"].unexpected_count) == (N, 4)
    assert fetched == []
    gx_own = g.gxe.UnexpectedRowsExpectation(unexpected_rows_query="SELECT * FROM {batch}")
    assert "unexpected_rows_query.table" in gx_own.metric_dependencies  # what is left out


def test_what_gx_imports_for_an_expectation_we_do_not_use_loads_when_used(tmp_path):
    """GX imports ``altair`` and ``scipy.stats`` for its KL divergence (a third of its import):
    with the checks' modules loaded they are stand-ins, the checks run without them, and the
    first use of either (an attribute, a name imported from it, GX's own expectation) loads it."""
    db = make_db(tmp_path / "wh.duckdb")
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
        from expectations.run import run_checks  # our package first, as every caller of GX
        from expectations.suites import Suite
        import great_expectations.expectations as E
        kinds = lambda: [type(sys.modules[m]).__name__ for m in ("altair", "scipy.stats")]
        print("after GX", kinds(), "scipy.stats._stats_py" in sys.modules)
        (r,) = run_checks({str(db)!r}, [Suite("s", "stg.t", [E.ExpectColumnValuesToBeUnique(column="dup")])])
        print("after the checks", kinds(), r.unexpected_count == {N})
        from scipy import stats
        print("entropy", round(stats.entropy([0.5, 0.5]), 6), kinds())
        from scipy.stats import norm
        print("norm", round(norm.cdf(0), 2))
        import altair
        print("chart", altair.Chart.__name__, kinds())
        kl = sys.modules[E.ExpectColumnKLDivergenceToBeLessThan.__module__]
        print("GX's own", round(kl.stats.entropy([0.5, 0.5]), 6), kl.alt.Chart is altair.Chart)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.splitlines() == [
        "after GX ['Deferred', 'Deferred'] False",
        "after the checks ['Deferred', 'Deferred'] True",
        "entropy 0.693147 ['Deferred', 'module']",
        "norm 0.5",
        "chart Chart ['module', 'module']",
        "GX's own 0.693147 True",
    ]


def test_a_module_already_loaded_or_missing_is_not_deferred():
    from expectations.deferred import defer

    assert defer("json", "no_such_module_here", "no_such_package.sub") == []
    assert "no_such_module_here" not in sys.modules
