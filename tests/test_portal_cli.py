"""``chiso portal``: the replica served from the command line, its credentials and its faults."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx
import pytest
from conftest import simulate_source

from flows.cli import replica_credentials
from sources.portal.app import Faults, parse_faults
from sources.portal.server import free_port

ROOT = Path(__file__).resolve().parent.parent
ENV = {"CHISO_DVC_API_APP": "a", "CHISO_DVC_API_KEY": "k", "CHISO_DVC_API_SECRET": "s"}


def test_the_command_serves_the_platform_with_the_faults_asked_for(tmp_path):
    landing = tmp_path / "landing"
    simulate_source("dvc", landing, date(2025, 3, 3), date(2025, 3, 4), scale=0.02, seed=1)
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flows.cli",
            "portal",
            "--landing",
            str(landing),
            "--port",
            str(port),
        ]
        + ["--fault", "rate_limit_every=2", "--fault", "retry_after=7"],
        cwd=ROOT,
        env={**os.environ, **ENV, "CHISO_HOME": str(tmp_path / "home")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).json()["days"] == 2:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, proc.stdout.read()
            time.sleep(0.2)
        token = httpx.post(
            base + "/lgsp/auth/token", json={"AppName": "a", "AccessKey": "k", "SecretKey": "s"}
        ).json()["access_token"]
        params = {"fromDate": "20250303000000", "toDate": "20250304000000", "page": "1"}
        auth = {"Authorization": f"Bearer {token}"}
        first = httpx.get(base + "/lgsp/dvc/v1/hoso", params=params, headers=auth)
        second = httpx.get(base + "/lgsp/dvc/v1/hoso", params=params, headers=auth)
        refused = httpx.post(base + "/lgsp/auth/token", json={"AppName": "a"})
    finally:
        proc.terminate()
        out = proc.communicate(timeout=20)[0]
    assert first.status_code == 200 and first.json()["totalRecords"] > 0
    assert second.status_code == 429 and second.headers["Retry-After"] == "7"
    assert refused.status_code == 401
    assert "SecretKey" not in out  # the credentials are never printed


def test_credentials_come_from_the_environment_or_are_generated_once(tmp_path):
    assert replica_credentials(tmp_path, ENV) == {
        "AppName": "a",
        "AccessKey": "k",
        "SecretKey": "s",
    }
    made = replica_credentials(tmp_path, {})
    path = tmp_path / "secrets" / "lgsp-replica.env"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert replica_credentials(tmp_path, {}) == made  # the same next time
    assert f"CHISO_DVC_API_SECRET={made['SecretKey']}" in path.read_text()


def test_faults_are_parsed_and_an_unknown_one_is_refused():
    faults = parse_faults(["cut_every=3", "retry-after=1.5", "shift_766=satisfaction:-4"])
    assert faults == Faults(cut_every=3, retry_after=1.5, shift_766={"satisfaction": -4.0})
    with pytest.raises(ValueError, match="unknown fault.*nope"):
        parse_faults(["nope=1"])
    with pytest.raises(ValueError, match="name=value"):
        parse_faults(["cut_every"])


def test_the_pull_settings():
    from flows.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="CHISO_DVC_API_URL='localhost:8190'"):
        load_settings({"CHISO_DVC_API_URL": "localhost:8190"})
    simulated = load_settings({"CHISO_DVC_API_URL": "http://h:8190/"})
    assert simulated.dvc_api_url == "http://h:8190"
    assert simulated.pull_window() == (date(2025, 1, 1), date(2025, 12, 31))  # the simulated year
    real = load_settings({"CHISO_LANDING_URL": "/srv/landing", "CHISO_DVC_API_START": "2026-11-01"})
    assert real.pull_window(today=date(2026, 12, 2)) == (date(2026, 11, 1), date(2026, 12, 1))
    with pytest.raises(SettingsError, match="CHISO_DVC_API_END"):
        load_settings({"CHISO_DVC_API_END": "2024-01-01"}).pull_window()
