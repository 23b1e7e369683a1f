"""End to end: the nightly pulling from the replica of the portals, with every fault switched on.

The same simulated dossiers delivered as files and pulled through the API
(token expiring, 401, 429, 500, slow and cut pages, a repeated page, records
arriving between pages) publish the same indicators; the 766 figures pulled
from the national portal's replica agree with our 766 variants, and differ,
with a warning and a reason, when the replica shifts one; a run killed in
the middle of the pagination resumes from its cursor when retried.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
from conftest import simulate_source

from sources.portal.app import Faults
from sources.portal.server import running

pytestmark = pytest.mark.slow  # four nightlies and a Prefect server: `make test-slow`

ROOT = Path(__file__).resolve().parent.parent
START, END = date(2025, 1, 1), date(2025, 2, 28)
CREDS = {"AppName": "chiso-e2e", "AccessKey": "ak-e2e", "SecretKey": "sk-e2e-secret"}
API_ENV = {
    "CHISO_DVC_API_APP": CREDS["AppName"],
    "CHISO_DVC_API_KEY": CREDS["AccessKey"],
    "CHISO_DVC_API_SECRET": CREDS["SecretKey"],
    "CHISO_DVC_API_START": START.isoformat(),
    "CHISO_DVC_API_END": END.isoformat(),
    "CHISO_DVC_API_PAGE_SIZE": "40",
    "CHISO_DVC_API_TIMEOUT": "0.5",
}
EVERY_FAULT = Faults(
    expire_tokens_after=6,
    unauthorized_every=13,
    rate_limit_every=11,
    retry_after=0,
    server_error_every=9,
    slow_every=29,
    slow_seconds=0.8,
    cut_every=17,
    repeat_every=5,
    late_records=6,
)


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("portal-e2e") / "landing"
    simulate_source("dvc", root, START, END, scale=0.02, seed=7)
    simulate_source("national766", root, START, END, scale=0.02, seed=7)
    return root


def run_nightly(home: Path, landing: Path, env: dict[str, str] | None = None):  # noqa: ANN201
    from flows.nightly import nightly

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHISO_HOME", str(home))
        mp.setenv("CHISO_LANDING_URL", str(landing))
        mp.setenv("CHISO_PII_KEY", "test-key")
        mp.setenv("CHISO_SOURCES", "dvc,national766")
        for k, v in (env or {}).items():
            mp.setenv(k, v)
        return nightly(return_state=True)


def q(home: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(home / "chiso.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


VALUES = """select indicator_id, period_type, period_start, admin_code, numerator, denominator,
                   value, status from mart.indicator_value order by all"""
STAGED = "select * exclude (_file_id, _row, _run_id) from stg.dvc_dossier order by _row_hash"


@pytest.fixture(scope="module")
def runs(tmp_path_factory, prefect_server, landing) -> dict:
    root = tmp_path_factory.mktemp("homes")
    files = run_nightly(root / "files", landing)
    with running(landing, CREDS, EVERY_FAULT) as (url, app):
        env = {**API_ENV, "CHISO_DVC_API_URL": url, "CHISO_NATIONAL766_URL": url}
        api = run_nightly(root / "api", landing, env)
        log = list(app.state.replica.log)
    return {"files": (root / "files", files), "api": (root / "api", api), "log": log}


def test_the_api_path_publishes_what_the_files_publish(runs):
    (files, f_state), (api, a_state) = runs["files"], runs["api"]
    assert f_state.is_completed(), f_state.message
    assert a_state.is_completed(), a_state.message
    faults = {r.get("fault") or r.get("error") or r["status"] for r in runs["log"]}
    assert {429, 500, "token_expired", "token_revoked", "cut", "slow", "repeat"} <= faults
    # every record the server holds, staged once: the same rows as from the files
    assert q(api, STAGED) == q(files, STAGED)
    # the same published indicators, numerators and denominators included
    assert q(api, VALUES) == q(files, VALUES)
    pages = q(
        api,
        "select count(*), bool_and(rows_read = rows_loaded + rows_quarantined + rows_duplicate) "
        "from meta.manifest where source = 'dvc' and dataset = 'dossier'",
    )[0]
    assert pages[0] > 59 and pages[1]  # at least one page a day, every page balanced
    assert q(api, "select count(*) from core.fct_portal_metric") == q(
        files, "select count(*) from core.fct_portal_metric"
    )


def test_the_reconciliation_agrees_for_every_metric_and_month(runs):
    for home in (runs["files"][0], runs["api"][0]):
        rows = q(
            home,
            "select metric_code, period_type, period_start, status from mart.reconciliation",
        )
        months = [r for r in rows if r[1] == "month"]
        assert len(months) == 5 * 2  # five metrics, January and February
        assert {r[3] for r in rows} == {"agrees"}, [r for r in rows if r[3] != "agrees"]
        warned = q(
            home,
            "select success from audit.check_result where suite = 'reconciliation_national766'",
        )
        assert warned == [(True,)]
    card = dict(
        q(
            runs["api"][0],
            "select indicator_id, portal_766_status from mart.scorecard where admin_level = 'province'",
        )
    )
    assert {k: card[k] for k in ("T01", "T02", "T03", "T04", "T05")} == dict.fromkeys(
        ["T01", "T02", "T03", "T04", "T05"], "agrees"
    )
    assert not any(k.endswith("_766") for k in card)  # variants are beside the targets, not rows


def test_a_shifted_metric_differs_with_a_warning_never_a_block(runs, landing, tmp_path):
    home = tmp_path / "shifted"
    with running(landing, CREDS, Faults(shift_766={"e_result": 4.0})) as (url, _):
        state = run_nightly(home, landing, {**API_ENV, "CHISO_NATIONAL766_URL": url})
    assert state.is_completed(), state.message  # a warning, not a block
    rows = q(
        home,
        "select distinct metric_code, status from mart.reconciliation where period_type = 'month'",
    )
    assert sorted(rows) == sorted(
        [
            ("e_result", "differs"),
            *[(m, "agrees") for m in ["full_process_provision", "online_dossier"]],
            *[(m, "agrees") for m in ["satisfaction", "vneid_identification"]],
        ]
    )
    reason = q(
        home,
        "select reason from mart.reconciliation where metric_code = 'e_result' "
        "and period_type = 'month' order by period_start limit 1",
    )[0][0]
    assert "4.0 points apart, beyond the tolerance of 0.5" in reason
    check = q(
        home,
        "select severity, success, observed_value from audit.check_result "
        "where suite = 'reconciliation_national766'",
    )
    assert check[0][:2] == ("warning", False)
    assert q(home, "select status from audit.run") == [("published",)]
    assert q(
        home,
        "select portal_766_status from mart.scorecard where indicator_id = 'T04' "
        "and admin_level = 'province'",
    ) == [("differs",)]


def test_a_retry_of_a_run_killed_mid_pagination_resumes_from_the_cursor(
    prefect_server, landing, tmp_path
):
    home = tmp_path / "killed"
    env = {
        **os.environ,
        **API_ENV,
        "PREFECT_API_URL": prefect_server,
        "CHISO_HOME": str(home),
        "CHISO_LANDING_URL": str(landing),
        "CHISO_PII_KEY": "test-key",
        "CHISO_SOURCES": "dvc",
    }
    proc: list[subprocess.Popen] = []
    served: list[dict] = []

    def kill_on_the_25th_page(entry: dict) -> None:
        if entry["path"].endswith("/hoso") and entry["status"] == 200:
            served.append(entry)
            if len(served) == 25 and proc:
                os.kill(proc[0].pid, signal.SIGKILL)

    with running(landing, CREDS, Faults(), hook=kill_on_the_25th_page) as (url, app):
        env["CHISO_DVC_API_URL"] = url
        proc.append(
            subprocess.Popen(
                [sys.executable, "-m", "flows.cli", "nightly"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        )
        assert proc[0].wait(timeout=300) == -9
        killed_at = served[-1]["params"]
        assert not (home / "chiso.duckdb").exists()  # nothing published

        from prefect.client.orchestration import get_client
        from prefect.client.schemas.sorting import FlowRunSort
        from prefect.states import Crashed

        with get_client(sync_client=True) as client:
            killed = client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1)[0]
            client.set_flow_run_state(killed.id, Crashed(message="process killed"), force=True)
        app.state.replica.log.clear()
        retry = subprocess.run(
            [sys.executable, "-m", "flows.cli", "retry", str(killed.id)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert retry.returncode == 0, retry.stdout[-2000:] + retry.stderr[-2000:]
        resumed = [r["params"] for r in app.state.replica.log if r["path"].endswith("/hoso")]
    # the retry began where the killed run stopped: the last page it was answered, or the next
    first = (resumed[0]["fromDate"], int(resumed[0]["page"]))
    stop = (killed_at["fromDate"], int(killed_at["page"]))
    assert first in (stop, (stop[0], stop[1] + 1)) or (first[0] > stop[0] and first[1] == 1), (
        first,
        stop,
    )
    assert all((r["fromDate"], int(r["page"])) >= stop for r in resumed)
    # and the published warehouse holds every record once
    files = tmp_path / "files"
    assert run_nightly(files, landing, {"CHISO_SOURCES": "dvc"}).is_completed()
    assert q(home, STAGED) == q(files, STAGED)
