"""The nightly deployment: 01:00 every night, Asia/Ho_Chi_Minh, one run at a time.

Operators start the server and UI, then serve the deployment (README, "Operating it"):

    make server PORT=4200     # Prefect server + UI (PREFECT_UI_API_URL set to that port)
    make serve PORT=4200      # this deployment, served; CHISO_ALERT_WEBHOOK for alerts

What the deployment carries:
- the schedule (``SCHEDULE``); the schedule stays active while ``chiso serve`` is
  down (``pause_on_shutdown=False``), so a night it missed is marked Late and alerts;
- a concurrency limit of 1 that queues: a second run waits in
  ``AwaitingConcurrencySlot`` until the first ends (the UI shows that state);
- the flow's typed parameters, defaulting to the environment's settings (the
  Custom run form offers them: sources, simulate, a re-stage period);
- tags, a version (the package's, with the git commit) and a description;
- alerts (``flows/alerts.py``): Failed, Crashed or Late runs post to
  ``CHISO_ALERT_WEBHOOK``.
"""

from __future__ import annotations

import subprocess
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any
from uuid import UUID

from prefect import serve as prefect_serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from flows.alerts import ensure_alerts
from flows.nightly import nightly
from flows.settings import REPO, Settings, load_settings

NAME = "nightly"
SCHEDULE = Cron("0 1 * * *", timezone="Asia/Ho_Chi_Minh")
TAGS = ["chiso", "plan-190", "nightly"]
ONE_AT_A_TIME = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)
DESCRIPTION = (
    "Plan 190/KH-UBND warehouse of Hậu Giang: takes the sources' new extracts from the landing "
    "zone, stages them (row rules, quarantine), builds the core tables, checks them with Great "
    "Expectations, computes the T01–T17 / R01–R02 indicators and publishes the warehouse "
    "atomically. Ends Completed (published), or Failed with 'blocked: …' (published, some "
    "indicators keep their last value), 'attention: …' (published; unreadable files or "
    "quarantine above threshold) or the cause (nothing published). One run at a time; a "
    "second one waits in the queue. Parameters: sources, simulate, a re-stage period."
)


def version() -> str:
    """The package version, with the git commit it was served from when known."""
    try:
        base = package_version("chiso")
    except PackageNotFoundError:
        base = "0+unknown"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return base
    return f"{base}+g{commit}" if commit else base


def default_parameters(settings: Settings) -> dict[str, Any]:
    """The Custom run form's defaults: what the environment of ``chiso serve`` says."""
    return {"sources": list(settings.sources or []), "simulate": bool(settings.simulate)}


def deployment(settings: Settings) -> RunnerDeployment:
    made = nightly.to_deployment(
        name=NAME,
        schedules=[SCHEDULE],
        concurrency_limit=ONE_AT_A_TIME,
        parameters=default_parameters(settings),
        tags=TAGS,
        version=version(),
        description=DESCRIPTION,
    )
    assert isinstance(made, RunnerDeployment)  # called synchronously: not a coroutine
    return made


def serve() -> None:
    """Register the deployment and its alerts, then serve it until stopped."""
    settings = load_settings()
    runner = deployment(settings)
    deployment_id = runner.apply()
    assert isinstance(deployment_id, UUID)  # called synchronously: not a coroutine
    if settings.alert_webhook:
        ensure_alerts(deployment_id, settings.alert_webhook)
        print(f"alerts: failed, crashed or late runs post to {settings.alert_webhook}")
    else:
        print("alerts: none (set CHISO_ALERT_WEBHOOK to be told of failed, crashed or late runs)")
    prefect_serve(runner, pause_on_shutdown=False)
