"""The served deployment, as an operator uses it: a real Prefect server and UI, ``chiso serve``,
a headless browser (Debian's chromium), and a local webhook receiving the alerts.

Marked slow (``make test-slow``; CI runs it after ``make test``): a server, a served
deployment and a handful of real runs take a few minutes on two cores.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from docs_browser import CHROMIUM_FLAGS, chromium

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        chromium() is None and os.environ.get("CI") != "true",
        reason="chromium not installed here (CI installs it: .ci/run)",
    ),
]

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM_ARGS = CHROMIUM_FLAGS
WAIT = 240  # seconds a run may take on a loaded two-core machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


class Receiver:
    """A local webhook: records every JSON body POSTed to it."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        received = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server hook
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append(json.loads(body or b"{}"))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, *texts: str, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for post in list(self.posts):
                if all(t in json.dumps(post, ensure_ascii=False) for t in texts):
                    return post
            time.sleep(0.5)
        raise AssertionError(f"no alert with {texts}; received {self.posts}")


API: dict[str, str] = {}  # the served stack's API URL (set by the `stack` fixture)


@contextmanager
def api_client():
    """A client of the served stack's server, whatever server another fixture of the session
    made the default (the temporary one of the end-to-end tests)."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: API["url"]}):
        with get_client(sync_client=True) as client:
            yield client


def simulate(landing: Path, start: date, end: date) -> None:
    from conftest import simulate_source

    simulate_source("dvc", landing, start, end, scale=0.02, seed=7)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """Prefect server + UI on a free port, a webhook receiver, and ``chiso serve`` (as `make
    server PORT=…` and `make serve PORT=…` start them) on a data home with January's dossiers."""
    tmp = tmp_path_factory.mktemp("served")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    prefect_home = tmp / "prefect"
    prefect_home.mkdir()
    base_env = {
        **os.environ,
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(tmp / "results"),
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    for key in ("PREFECT_API_URL", "CHISO_SOURCES", "CHISO_SIMULATE", "CHISO_QUALITY"):
        base_env.pop(key, None)
    server = subprocess.Popen(
        ["make", "-s", "server", f"PORT={port}"],
        cwd=ROOT,
        env={
            **base_env,
            # a run nobody started is Late 5 s after its time (default 15 s), checked every 2 s
            "PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS": "5",
            "PREFECT_SERVER_SERVICES_LATE_RUNS_LOOP_SECONDS": "2",
        },
        stdout=open(tmp / "server.log", "w"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    receiver = Receiver()
    landing = tmp / "landing"
    simulate(landing, date(2025, 1, 1), date(2025, 1, 31))
    serve = None
    try:
        deadline = time.monotonic() + 180
        while not healthy(api):
            assert server.poll() is None, (tmp / "server.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the Prefect server did not start in 180 s"
            time.sleep(1)
        serve_env = {
            **base_env,
            "PREFECT_API_URL": api,
            "CHISO_HOME": str(tmp / "home"),
            "CHISO_LANDING_URL": str(landing),
            "CHISO_PII_KEY": "test-key",
            "CHISO_ALERT_WEBHOOK": receiver.url,
        }
        serve = subprocess.Popen(
            ["make", "-s", "serve", f"PORT={port}"],
            cwd=ROOT,
            env=serve_env,
            stdout=open(tmp / "serve.log", "w"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        API["url"] = api
        deployment = wait_for_deployment(serve, tmp / "serve.log")
        yield {
            "api": api,
            "ui": f"http://127.0.0.1:{port}",
            "deployment": deployment,
            "receiver": receiver,
            "landing": landing,
            "home": tmp / "home",
            "serve": serve,
            "logs": tmp,
        }
    finally:
        API.clear()
        for proc in (serve, server):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        receiver.server.shutdown()


def wait_for_deployment(serve: subprocess.Popen, log: Path):
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert serve.poll() is None, log.read_text()[-3000:]
        try:
            with api_client() as client:
                return client.read_deployment_by_name("nightly/nightly")
        except Exception:  # noqa: BLE001 - not registered yet
            time.sleep(1)
    raise AssertionError("the deployment was not served in 180 s: " + log.read_text()[-3000:])


def deployment_runs(deployment_id) -> list:
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    with api_client() as client:
        return client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id]))
        )


def new_run(deployment_id, before: set, timeout: float = 60):
    """The run of the deployment created since ``before`` (not one the schedule made)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fresh = [
            r for r in deployment_runs(deployment_id) if r.id not in before and not r.auto_scheduled
        ]
        if fresh:
            return fresh[0]
        time.sleep(0.5)
    raise AssertionError("the UI created no run")


def run_logs(run_id) -> list[str]:
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    time.sleep(2)  # logs are shipped in batches
    with api_client() as client:
        logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
    return [log.message for log in logs]


def run_deployment(deployment_id, **parameters):
    with api_client() as client:
        return client.create_flow_run_from_deployment(deployment_id, parameters=parameters)


def wait_final(run_id, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    with api_client() as client:
        while time.monotonic() < deadline:
            run = client.read_flow_run(run_id)
            if run.state and run.state.is_final():
                return run
            time.sleep(1)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s: {run.state}")


def drop_district(landing: Path, district: str, since: str) -> dict[Path, str]:
    """Take a district's dossiers out of the days delivered since ``since`` (``hoso_YYYYMMDD``)."""
    complete = {}
    for f in sorted((landing / "dvc" / "hoso").rglob("hoso_*.jsonl")):
        if f.stem < f"hoso_{since}":
            continue
        complete[f] = f.read_text(encoding="utf-8")
        kept = [x for x in complete[f].splitlines() if f".{district}.H93" not in x]
        f.write_text("".join(x + "\n" for x in kept), encoding="utf-8")
    return complete


@pytest.fixture
def page(stack):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.set_default_timeout(60_000)
        try:
            yield page
        finally:  # what the browser showed last (kept beside the server logs)
            page.screenshot(path=str(stack["logs"] / "last-page.png"), full_page=True)
            browser.close()


def test_in_the_ui_a_custom_run_a_blocked_run_and_its_retry(stack, page):
    ui, receiver = stack["ui"], stack["receiver"]

    # the deployment and its schedule
    page.goto(f"{ui}/deployments")
    page.get_by_role("link", name="nightly").first.click()
    page.get_by_text("At 01:00 AM every day").first.wait_for()
    page.get_by_text("Concurrency Limit").first.wait_for()
    page.get_by_text("plan-190").first.wait_for()

    # a Custom run with one source, picked in the form
    before = {r.id for r in deployment_runs(stack["deployment"].id)}
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text("Custom run").click()
    page.get_by_text("sources (Optional)").wait_for()
    for dismiss in page.locator(".schema-form-property-array .p-tag__dismiss").all():
        dismiss.click()
    picker = page.locator(".schema-form-property-array .p-select-button__control").first
    picker.focus()
    page.keyboard.press("ArrowDown")  # opens the list of registered sources
    page.get_by_role("option", name="dvc", exact=True).click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Submit").click()
    first = wait_final(new_run(stack["deployment"].id, before).id)
    assert first.state.is_completed(), first.state.message
    assert first.parameters["sources"] == ["dvc"]
    assert re.fullmatch(r"nightly-\d{4}-\d{2}-\d{2}-dvc", first.name), first.name

    # the run's page: Completed, and its artifacts on the flow run
    page.goto(f"{ui}/runs/flow-run/{first.id}")
    page.get_by_text("Completed").first.wait_for()
    page.get_by_text("Artifacts", exact=True).first.click()
    for key in ("scorecard", "data-quality", "data-docs"):
        page.get_by_text(key, exact=True).first.wait_for()
    page.get_by_text("scorecard", exact=True).first.click()
    page.get_by_text("≥ 95 %").first.wait_for()  # targets as symbols, not ">=" quotations
    assert page.locator("td blockquote").count() == 0
    assert "(93)" in page.locator("tbody tr").first.inner_text()  # the province comes first

    # February comes in without district 937: the run publishes with blocked indicators
    simulate(stack["landing"], date(2025, 2, 3), date(2025, 2, 14))
    complete = drop_district(stack["landing"], "937", since="20250203")
    second = wait_final(run_deployment(stack["deployment"].id, sources=["dvc"]).id)
    assert second.state.name == "Failed" and second.state.message.startswith("blocked: ")
    assert "T01" in second.state.message.split(" — ")[0], second.state.message
    assert "blocked" in second.tags
    page.goto(f"{ui}/deployments/deployment/{stack['deployment'].id}?tab=Runs")
    row = page.locator(".flow-run-list-item, [class*=list-item]").filter(has_text=second.name)
    row.first.wait_for()
    assert "Failed" in row.first.inner_text()
    logs = run_logs(second.id)
    assert any(line.startswith("dvc: files listed") for line in logs), logs
    assert not any("Engine execution exited" in line for line in logs)  # no crash noise
    alert = receiver.wait_for(second.name, "Failed", "blocked: ", "T01")
    assert "http" in alert["body"]  # a link to the run in the UI

    # the district's agencies synchronise; the operator presses Retry on the failed run
    for f, text in complete.items():
        f.write_text(text, encoding="utf-8")
    page.goto(f"{ui}/runs/flow-run/{second.id}")
    page.get_by_role("button", name="Retry").click()
    confirm = page.get_by_role("button", name="Retry").last
    if confirm.is_visible():
        confirm.click()
    time.sleep(3)
    retried = wait_final(second.id)
    assert retried.state.is_completed(), retried.state.message
    assert "blocked" not in retried.tags
    page.reload()
    page.get_by_text("Completed").first.wait_for()

    import duckdb

    con = duckdb.connect(str(stack["home"] / "chiso.duckdb"), read_only=True)
    try:
        assert con.execute(  # nothing blocked any more, and this run is the published one
            "select count(*) from mart.scorecard where status = 'blocked'"
        ).fetchall() == [(0,)]
        assert con.execute(
            "select status from audit.run where run_id = ?", [str(second.id)]
        ).fetchall() == [("published",)]
    finally:
        con.close()


def test_two_runs_at_once_the_second_waits_in_the_queue(stack):
    first = run_deployment(stack["deployment"].id, sources=["dvc"])
    second = run_deployment(stack["deployment"].id, sources=["dvc"])
    seen: set[str] = set()
    deadline = time.monotonic() + WAIT
    with api_client() as client:
        while time.monotonic() < deadline:
            a, b = client.read_flow_run(first.id), client.read_flow_run(second.id)
            if a.state.is_running() or b.state.is_running():
                waiting = b if a.state.is_running() else a
                seen.add(waiting.state.name)
            if a.state.is_final() and b.state.is_final():
                break
            time.sleep(0.5)
    assert "AwaitingConcurrencySlot" in seen, seen
    a, b = wait_final(first.id), wait_final(second.id)
    assert a.state.is_completed() and b.state.is_completed(), (a.state, b.state)
    (early, late) = sorted([a, b], key=lambda r: r.start_time)
    assert early.end_time <= late.start_time  # one after the other, never together


def test_crashed_and_late_runs_alert_even_with_serve_down(stack):
    from prefect.states import Crashed, Scheduled

    receiver = stack["receiver"]
    os.killpg(stack["serve"].pid, signal.SIGTERM)  # `chiso serve` is down at 01:00
    stack["serve"].wait(timeout=60)
    with api_client() as client:
        assert not client.read_deployment(stack["deployment"].id).paused  # still scheduled
        crashed = client.create_flow_run_from_deployment(stack["deployment"].id)
        client.set_flow_run_state(crashed.id, Crashed(message="the machine lost power"), force=True)
        late = client.create_flow_run_from_deployment(
            stack["deployment"].id,
            state=Scheduled(scheduled_time=_utcnow() - timedelta(seconds=30)),
        )
    receiver.wait_for(crashed.name, "Crashed", "the machine lost power")
    receiver.wait_for(late.name, "Late")


def _utcnow():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_make_server_and_serve_take_the_port(tmp_path):
    """`make server PORT=…` tells the UI where its API is; `make serve PORT=…` points there."""
    dry = subprocess.run(
        ["make", "-n", "server", "serve", "PORT=4321"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--port 4321" in dry
    assert "PREFECT_UI_API_URL=${PREFECT_UI_API_URL:-http://127.0.0.1:4321/api}" in dry
    assert "PREFECT_API_URL=${PREFECT_API_URL:-http://127.0.0.1:4321/api}" in dry
    shutil.rmtree(tmp_path)
