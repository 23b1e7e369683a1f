"""The nightly as an operator meets it: a typo in a setting, a missing landing zone, a step that
fails, two runs at once, a retry after the data was fixed, a re-stage after a connector fix.

Real flows on a real (temporary) Prefect server, real DuckDB files, small simulated data.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from test_pipeline import _retry_in_place, _task_states, digest, q

ROOT = Path(__file__).resolve().parent.parent
START, END = date(2025, 1, 1), date(2025, 1, 31)


def chiso(*args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# ------------------------------------------------------------------ settings: one line, exit 1


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("CHISO_SIM_START", "2025-13-01", "CHISO_SIM_START='2025-13-01'"),
        ("CHISO_SOURCES", "dvc,nope", "unknown source(s) ['nope']"),
        ("CHISO_SIM_SCALE", "-1", "CHISO_SIM_SCALE='-1'"),
    ],
)
def test_a_typo_in_a_setting_is_one_line_exit_1_and_help_still_works(
    tmp_path, variable, value, said
):
    env = {"CHISO_HOME": str(tmp_path / "home"), variable: value}
    assert chiso("--help", env=env).returncode == 0
    run = chiso("nightly", env=env)
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and said in lines[0] and variable.split("_", 1)[0] in lines[0], lines
    assert "Traceback" not in run.stderr and "temporary server" not in run.stdout + run.stderr
    assert not (tmp_path / "home" / "chiso.duckdb").exists()


@pytest.mark.slow  # whole nightlies, 20-35 s: `make test-slow`
def test_a_missing_landing_zone_or_a_bad_parameter_is_one_line_before_anything_runs(tmp_path):
    env = {"CHISO_HOME": str(tmp_path / "home"), "CHISO_LANDING_URL": str(tmp_path / "nowhere")}
    run = chiso("nightly", env=env)
    assert run.returncode == 1
    assert run.stderr.strip() == (
        f"chiso nightly: CHISO_LANDING_URL='{tmp_path / 'nowhere'}': the landing zone does not exist"
    )
    bad = chiso("nightly", "--restage", "dvc:2025-02-30:2025-03-01", env=env)
    assert bad.returncode == 1 and "restage" in bad.stderr and "day value" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


# ------------------------------------------------------------------ flows on a temporary server


@pytest.fixture(scope="module")
def month_landing(tmp_path_factory):
    """January 2025 of the one-stop system at 2 % of the province."""
    from conftest import simulate_source

    landing = tmp_path_factory.mktemp("landing")
    simulate_source("dvc", landing, START, END, scale=0.02, seed=7)
    return landing


@pytest.fixture
def home(tmp_path, month_landing, prefect_server, monkeypatch):
    landing = tmp_path / "landing"
    shutil.copytree(month_landing, landing)
    monkeypatch.setenv("CHISO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CHISO_LANDING_URL", str(landing))
    monkeypatch.setenv("CHISO_PII_KEY", "test-key")
    monkeypatch.setenv("CHISO_SOURCES", "dvc")
    return tmp_path / "home"


def nightly(**params):
    from flows.nightly import nightly as flow

    return flow(**params, return_state=True)


def task_runs(flow_run_id) -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        return client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )


def test_a_missing_landing_zone_fails_the_run_on_a_home_that_has_a_warehouse(home, monkeypatch):
    from warehouse import build as wh

    published = home / "chiso.duckdb"
    wh.prepare_build(published, home / "build" / "old.duckdb").replace(published)
    before = digest(published)
    monkeypatch.setenv("CHISO_LANDING_URL", str(home.parent / "landing-typo"))
    state = nightly()
    assert state.is_failed() and state.name == "Failed"
    assert state.message == (
        f"CHISO_LANDING_URL='{home.parent / 'landing-typo'}': the landing zone does not exist"
    )
    assert task_runs(state.state_details.flow_run_id) == []  # no task started, none retried
    assert digest(published) == before


def test_a_bad_parameter_fails_at_once_with_no_task(home):
    state = nightly(sources=["dvc", "nope"])
    assert state.is_failed()
    assert state.message.startswith("parameter sources=['dvc', 'nope']: unknown source(s) ['nope']")
    assert task_runs(state.state_details.flow_run_id) == []


def test_a_slow_temporary_server_start_does_not_fail_the_night():
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

    import flows  # noqa: F401  (sets Prefect's environment)

    assert PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value() >= 120  # Prefect's is 20 s


def without_a_server(code: str, **env: str) -> list[str]:
    """The lines ``code`` prints, run in a process of its own with no ``PREFECT_API_URL``."""
    given = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"} | env
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=given,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.splitlines()


def test_the_temporary_server_starts_while_the_command_loads_and_stops_when_told(tmp_path):
    """``start_server`` returns before the server answers, with ``PREFECT_API_URL`` already set
    (so the modules loaded meanwhile see it); ``ready`` waits for it (its warm-up thread imports
    nothing, so it cannot meet the command's imports); ``stop_server`` stops it.
    With ``PREFECT_API_URL`` given, nothing is started."""
    code = """
import os, sys
from flows.server import _SERVER, _healthy, start_server, stop_server
before = set(sys.modules)
ready = start_server()
url = os.environ["PREFECT_API_URL"]
print("answering at once", _healthy(url))
print("ready", ready(120) == url, _healthy(url))
print("imported meanwhile", sorted(set(sys.modules) - before))
stop_server()
print("stopped", _healthy(url), _SERVER == [])
os.environ["PREFECT_API_URL"] = "http://127.0.0.1:9/api"
print("given", start_server()(1), _SERVER == [])
"""
    assert without_a_server(code, PREFECT_HOME=str(tmp_path / "prefect")) == [
        "answering at once False",
        "ready True True",
        "imported meanwhile []",
        "stopped False True",
        "given http://127.0.0.1:9/api True",
    ]


def test_the_server_started_before_the_preflight_is_stopped_when_it_refuses(tmp_path):
    """``chiso nightly`` starts its server first and checks its inputs while it starts: a bad
    parameter stops it at once, and the command fails with the preflight's error."""
    code = """
import os
from flows import server
from flows.cli import launch_nightly
from flows.preflight import PreflightError
from flows.settings import load_settings
started = []
start = server.start_server
server.start_server = lambda: started.append(1) or start()
try:
    launch_nightly(load_settings(), {"sources": ["nope"]})
except PreflightError as exc:
    print("refused", "unknown source" in str(exc))
print("started", started == [1], "stopped", server._SERVER == [])
print("answering", server._healthy(os.environ["PREFECT_API_URL"]))
"""
    home = {"PREFECT_HOME": str(tmp_path / "prefect"), "CHISO_HOME": str(tmp_path / "home")}
    assert without_a_server(code, **home) == [
        "refused True",
        "started True stopped True",
        "answering False",
    ]


def test_a_temporary_server_that_exits_before_it_answers_is_one_error(tmp_path):
    """``ready`` names the server's exit, not a URL where nothing answers."""
    code = """
import os
from flows import server
server.sys = type("S", (), {"executable": "/bin/false"})  # the server's command exits at once
ready = server.start_server()
try:
    ready(30)
except RuntimeError as exc:
    print(exc, "PREFECT_API_URL" in os.environ)
"""
    assert without_a_server(code, PREFECT_HOME=str(tmp_path / "prefect")) == [
        "the temporary Prefect server exited with 1 False"
    ]


def test_a_run_on_the_temporary_server_sends_no_heartbeats(monkeypatch):
    """The engine waits up to a second at a run's end for its heartbeat thread: a run on the
    command's temporary server (no UI, gone with the command) has none; on a server the
    command was given, it keeps Prefect's."""
    from prefect.settings import get_current_settings

    from flows import server

    kept = get_current_settings().flows.heartbeat_frequency
    assert kept is not None  # Prefect's default: 180 s
    monkeypatch.setattr(server, "_SERVER", [])  # PREFECT_API_URL given: nothing started
    with server.without_heartbeats():
        assert get_current_settings().flows.heartbeat_frequency == kept
    monkeypatch.setattr(server, "_SERVER", [object()])  # the command started its own
    with server.without_heartbeats():
        assert get_current_settings().flows.heartbeat_frequency is None
    assert get_current_settings().flows.heartbeat_frequency == kept
    from flows import cli

    assert "with without_heartbeats():" in inspect.getsource(cli.launch_nightly)


def test_only_io_errors_that_may_pass_are_retried():
    from prefect.states import Failed

    from flows.nightly import transient

    def failed(exc):
        return Failed(data=exc)

    assert transient(None, None, failed(OSError(5, "Input/output error")))
    assert transient(None, None, failed(TimeoutError("read timed out")))
    assert not transient(None, None, failed(FileNotFoundError(2, "No such file")))
    assert not transient(None, None, failed(PermissionError(13, "Permission denied")))
    assert not transient(None, None, failed(ValueError("a bad value")))


def test_every_task_that_writes_the_build_does_it_in_a_session():
    """A task failing inside a transaction rolls back and reports its own error (the session)."""
    import flows.nightly as dag

    writers = [
        dag.prepare,
        dag.extract_source,
        dag.restage_source,
        dag.stage,
        dag.build_core,
        dag.validate,
        dag.indicators,
        dag.publish,
    ]
    for t in writers:
        code = inspect.getsource(t.fn)
        assert "with session(" in code or "open_build(" in code, t.name
        assert "connect(" not in code.replace("wh.connect(settings.warehouse, read_only=True)", "")


@pytest.mark.slow  # whole nightlies, 20-35 s: `make test-slow`
def test_a_step_that_fails_rolls_back_names_its_cause_and_its_retry_completes(home, monkeypatch):
    import transforms.staging.run as staging

    real = staging.record_outcomes  # (each batch's counts in the manifest, after its rows)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full while writing the manifest (injected)")

    monkeypatch.setattr(staging, "record_outcomes", broken)
    failed = nightly()
    assert failed.is_failed()
    assert "disk full while writing the manifest (injected)" in failed.message
    assert "Current transaction is aborted" not in failed.message
    run_id = failed.state_details.flow_run_id
    build = home / "build" / f"chiso-{run_id}.duckdb"
    con = duckdb.connect(str(build), read_only=True)
    try:  # the failed stage left nothing behind: no staged row, every file still to stage
        assert con.execute(
            "select count(*) from information_schema.tables where table_name = 'dvc_dossier'"
        ).fetchone() == (0,)
        rows = con.execute("select status, rows_read from meta.manifest").fetchall()
        assert {r[0] for r in rows} <= {"extracted", "duplicate"} and {r[1] for r in rows} == {None}
    finally:
        con.close()

    monkeypatch.setattr(staging, "record_outcomes", real)
    retried = _retry_in_place(run_id)
    assert retried.is_completed(), retried.message
    states = _task_states(run_id)
    assert states["extract"][-1] == "Cached" and states["stage"][-1] == "Completed", states
    assert q(home, "select count(*) from meta.manifest where status = 'extracted'") == [(0,)]
    assert not build.exists()


@pytest.mark.slow  # a second nightly in its own process (~30 s): `make test-slow`
def test_two_runs_at_once_the_loser_discards_its_build_and_its_retry_publishes(
    home, prefect_server, monkeypatch
):
    """Run A builds; meanwhile another process runs the nightly and publishes first. A refuses
    to overwrite it, leaves no build behind, and its Retry builds again and publishes."""
    import warehouse.build as wh

    assert nightly().is_completed()
    landing = Path(os.environ["CHISO_LANDING_URL"])
    from conftest import simulate_source

    real_publish = wh.publish
    other = {}

    def another_run_publishes_first(*args, **kwargs):
        simulate_source("dvc", landing, date(2025, 2, 3), date(2025, 2, 3), scale=0.02, seed=7)
        other["proc"] = chiso("nightly", env={"PREFECT_API_URL": prefect_server})
        return real_publish(*args, **kwargs)

    simulate_source("dvc", landing, date(2025, 2, 1), date(2025, 2, 1), scale=0.02, seed=7)
    monkeypatch.setattr(wh, "publish", another_run_publishes_first)
    lost = nightly()
    assert other["proc"].returncode == 0, other["proc"].stderr[-3000:]
    assert lost.is_failed()
    assert "another run" in lost.message and "Retry builds it again" in lost.message
    run_id = str(lost.state_details.flow_run_id)
    assert not list((home / "build").glob("*.duckdb*"))  # no stale build left behind
    winner = q(home, "select run_id from audit.run where status = 'published' order by finished_at")
    assert winner[-1][0] != run_id

    monkeypatch.setattr(wh, "publish", real_publish)
    retried = _retry_in_place(run_id)
    assert retried.is_completed(), retried.message
    runs = dict(q(home, "select run_id, status from audit.run"))
    # the winner took every file, its own and the loser's: on the current warehouse the retry
    # finds nothing new, so it publishes nothing and the winner's warehouse stands
    assert runs[winner[-1][0]] == "published"
    assert runs.get(run_id) == "published" or "nothing new since run" in retried.message
    names = {r[0] for r in q(home, "select name from meta.manifest where status = 'loaded'")}
    assert {"hoso_20250201.jsonl", "hoso_20250203.jsonl"} <= names  # both runs' files, once
    assert q(home, "select count(*) - count(distinct _row_hash) from stg.dvc_dossier") == [(0,)]
    assert not list((home / "build").glob("*.duckdb*"))


def _drop_district(landing: Path, district: str) -> dict[Path, str]:
    """Take a district's dossiers out of every delivered day (its agencies did not synchronise);
    return each file's complete content, as the source will re-send it."""
    complete = {}
    for f in sorted((landing / "dvc" / "hoso").rglob("hoso_*.jsonl")):
        complete[f] = f.read_text(encoding="utf-8")
        keep = [x for x in complete[f].splitlines() if f".{district}.H93" not in x]
        f.write_text("".join(x + "\n" for x in keep), encoding="utf-8")
    return complete


@pytest.mark.slow  # whole nightlies, 20-35 s: `make test-slow`
def test_retry_after_the_data_was_fixed_recomputes_checks_and_indicators(home):
    landing = Path(os.environ["CHISO_LANDING_URL"])
    complete = _drop_district(landing, "937")
    assert sum(text.count(".937.H93") for text in complete.values()) > 10
    blocked = nightly()
    assert blocked.is_failed() and blocked.name == "Failed"
    ids = blocked.message.removeprefix("blocked: ").split(" — ")[0].split(", ")
    assert blocked.message.startswith("blocked: ") and " — published" in blocked.message
    assert {"T01", "T02", "T03", "T04", "T05"} <= set(ids), blocked.message
    run_id = str(blocked.state_details.flow_run_id)
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        assert "blocked" in client.read_flow_run(run_id).tags
    statuses = q(home, "select distinct status from mart.scorecard where indicator_id = 'T02'")
    assert statuses == [("blocked",)]

    # the district's agencies synchronise: the source re-sends those days, complete
    for f, text in complete.items():
        f.write_text(text, encoding="utf-8")
    retried = _retry_in_place(run_id)
    assert retried.is_completed(), retried.message
    states = _task_states(run_id)
    for step in ("extract", "stage", "build_core", "validate", "indicators"):
        assert states[step][-1] == "Completed", (step, states)  # recomputed, not Cached
    assert q(home, "select distinct status from mart.scorecard where indicator_id = 'T02'") == [
        ("ok",)
    ]
    assert q(home, "select status from audit.run where run_id = ?", [run_id]) == [("published",)]
    with get_client(sync_client=True) as client:
        assert "blocked" not in client.read_flow_run(run_id).tags


@pytest.mark.slow  # whole nightlies, 20-35 s: `make test-slow`
def test_a_restage_period_reads_the_archived_files_again_after_a_connector_fix(home, monkeypatch):
    """A connector bug read the channel of some dossiers as 0 (quarantined). After the fix, the
    operator re-stages the first half of January: those files are read again from raw/."""
    from flows import registry

    part = registry.SLICES["dvc"]
    reader = part.source.readers["dossier"]

    def buggy(path):
        df = reader(path)
        channel = pl.col("KenhThucHien")
        return df.with_columns(
            pl.when(channel.cast(pl.String) == "2")
            .then(pl.lit("0").cast(df.schema["KenhThucHien"]))
            .otherwise(channel)
            .alias("KenhThucHien")
        )

    buggy_source = dataclasses.replace(  # the one-pass batch reader off: every file read by it
        part.source,
        readers={**part.source.readers, "dossier": buggy},
        batch_readers={},
        table_readers={},
    )
    monkeypatch.setitem(registry.SLICES, "dvc", dataclasses.replace(part, source=buggy_source))
    first = nightly()
    assert first.is_failed() and first.message.startswith(
        "attention: published, but dvc quarantined"
    )
    bad = (
        "from audit.quarantine where rule = 'code_outside_list' and reason like '%KenhThucHien=0%'"
    )
    in_range = "and file_name between 'hoso_20250101' and 'hoso_20250115.jsonl'"
    n_bad, n_in_range = q(home, f"select count(*), count(*) filter (where true {in_range}) {bad}")[
        0
    ]
    assert n_bad > n_in_range > 0
    n_staged = q(home, "select count(*) from stg.dvc_dossier")[0][0]

    monkeypatch.setitem(registry.SLICES, "dvc", part)  # the connector is fixed
    shutil.rmtree(Path(os.environ["CHISO_LANDING_URL"]) / "dvc")  # landing emptied: raw/ only
    (Path(os.environ["CHISO_LANDING_URL"]) / "dvc").mkdir()
    second = nightly(restage={"sources": ["dvc"], "start": "2025-01-01", "end": "2025-01-15"})
    assert second.is_completed(), second.message
    # the January 1-15 rows the bug quarantined are loaded now; their old quarantine superseded
    assert q(home, f"select status, count(*) {bad} {in_range} group by 1") == [
        ("superseded", n_in_range)
    ]
    # later files keep theirs open (or superseded by a re-sent record of the same dossier)
    later = dict(q(home, f"select status, count(*) {bad} and not (true {in_range}) group by 1"))
    assert sum(later.values()) == n_bad - n_in_range and later["open"] > 0
    assert q(home, "select count(*) from stg.dvc_dossier")[0][0] == n_staged + n_in_range
    assert q(home, "select count(*) - count(distinct _row_hash) from stg.dvc_dossier") == [(0,)]
    assert q(home, "select count(*) from mart.file_balance where not balanced") == [(0,)]
