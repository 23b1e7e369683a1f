"""The start of every run: hold the run's lock, mark dead runs Crashed, clean up after them.

A flow run whose process was killed stays ``Running`` in Prefect forever, and
Prefect refuses to retry a run that is not in a terminal state. A run of this
data home holds ``build/chiso-<run_id>.lock`` while it lives
(``warehouse.housekeeping``); a ``Running`` run whose lock file is there but
held by nobody has lost its process, so it is marked ``Crashed`` (and the UI's
Retry and ``chiso retry`` work on it). Then the files of runs that are no
longer running are removed and the raw archive is purged past its retention.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.exceptions import ObjectNotFound
from prefect.states import Crashed

from flows.settings import Settings
from warehouse.housekeeping import clean_abandoned, hold_run, purge_raw, run_state, secure_home

FLOW_NAME = "nightly"
CRASHED_MESSAGE = "the process running it is gone (killed or lost); found at the start of run {}"


def mark_crashed_runs(build_dir: Path, current_run_id: str) -> list[str]:
    """Mark Crashed every ``Running`` nightly run of this data home whose process is gone."""
    marked: list[str] = []
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[FLOW_NAME])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING]))
            ),
        )
        for run in runs:
            run_id = str(run.id)
            if run_id == current_run_id or run_state(build_dir, run_id) != "gone":
                continue
            client.set_flow_run_state(
                run.id, Crashed(message=CRASHED_MESSAGE.format(current_run_id)), force=True
            )
            marked.append(run_id)
    return marked


def mark_if_crashed(settings: Settings, run_id: str) -> bool:
    """Before a retry: if the run is still ``Running`` but its process is gone, mark it Crashed."""
    try:
        key = UUID(run_id)
    except ValueError:
        return False  # not a flow run id: the retry itself says so
    with get_client(sync_client=True) as client:
        try:
            run = client.read_flow_run(key)
        except ObjectNotFound:
            return False
        if run.state is None or not run.state.is_running():
            return False
        if run_state(settings.build_dir, run_id) != "gone":
            return False
        client.set_flow_run_state(
            run.id, Crashed(message=CRASHED_MESSAGE.format("a retry")), force=True
        )
    return True


@contextmanager
def run_guard(
    settings: Settings, run_id: str, logger: logging.Logger | logging.LoggerAdapter
) -> Iterator[None]:
    """Hold the run's lock for the whole run; first mark dead runs, clean up, purge the raw archive."""
    secure_home(settings.home)
    with hold_run(settings.build_dir, run_id):
        try:
            crashed = mark_crashed_runs(settings.build_dir, run_id)
        except Exception as exc:  # noqa: BLE001 - the API being down must not stop the night
            logger.warning("could not look for crashed runs: %s", exc)
            crashed = []
        cleaned = clean_abandoned(settings.build_dir, settings.raw_dir, run_id)
        purged = purge_raw(settings.warehouse, settings.raw_dir, settings.raw_retention_days)
        if crashed:
            logger.warning("marked Crashed (their process is gone): %s", ", ".join(crashed))
        if cleaned.removed:
            logger.info(
                "removed %d file(s) left by runs no longer running: %s",
                len(cleaned.removed),
                ", ".join(p.name for p in cleaned.removed[:10]),
            )
        if purged:
            logger.info(
                "purged %d raw file(s) loaded more than %d days ago",
                len(purged),
                settings.raw_retention_days,
            )
        yield
