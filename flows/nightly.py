"""The nightly flow: extract -> stage -> core -> validate -> indicators -> audit -> publish.

    simulate (embedded default only)
        |
    prepare build file (copy of the published warehouse)
        |
    extract  (per source, retried with backoff: the only network/file I/O step)
        |
    stage    (per source: parse, type, hash, quarantine)
        |
    core     (dimensions and facts, rebuilt)
        |
    validate (Great Expectations, in DuckDB; failed critical checks -> blocked indicators)
        |
    indicators (catalogue -> mart.indicator_value, marts)
        |
    audit -> publish (one atomic replace)      + artifacts: scorecard, data quality

Each task calls the pure functions of its layer and returns a small summary.
Task results are persisted, so retrying a failed flow run (UI "Retry" or
``chiso retry <id>``) finds its build file, skips the finished tasks (they come
back Cached) and loads nothing twice.
"""

from __future__ import annotations

import os
import signal
import uuid
from dataclasses import asdict
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run
from prefect.states import Completed, Failed
from prefect.tasks import exponential_backoff

from flows.housekeeping import run_guard
from flows.settings import Settings, load_settings, pii_key
from sources import SOURCES
from sources.extract import extract, register_sources
from sources.simulate import simulate_landing
from transforms import core as core_models
from transforms.marts.indicators import compute_indicators, load_catalogue
from transforms.staging.run import load_reference, stage_source
from warehouse import build as wh
from warehouse.audit import audit_problems, finish_run, record_checks, start_run
from warehouse.reports import quality_markdown, scorecard_rows

MARTS_SQL = Path(__file__).resolve().parent.parent / "transforms" / "marts" / "views.sql"


def _open(build: str):  # noqa: ANN202 - a DuckDB connection
    return wh.connect(build)


def active_sources(settings: Settings) -> list[str]:
    """The sources this run takes: all registered, or those named in CHISO_SOURCES."""
    if settings.sources:
        unknown = set(settings.sources) - set(SOURCES)
        if unknown:
            raise ValueError(
                f"CHISO_SOURCES names unknown source(s) {sorted(unknown)}; known: {sorted(SOURCES)}"
            )
        return [s for s in SOURCES if s in settings.sources]
    return list(SOURCES)


@task(retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=5))
def simulate(settings: Settings) -> dict:
    chosen = {name: SOURCES[name] for name in active_sources(settings)}
    return simulate_landing(
        chosen,
        Path(settings.landing_url),
        settings.sim_start,
        settings.sim_end,
        settings.sim_scale,
        fault_rate=settings.sim_fault_rate,
        fault_kinds=list(settings.sim_fault_kinds) if settings.sim_fault_kinds else None,
    )


@task
def prepare(settings: Settings, run_id: str) -> dict:
    base = wh.published_run_id(settings.warehouse)
    build = wh.prepare_build(settings.warehouse, settings.build_path(run_id))
    con = _open(str(build))
    try:
        start_run(con, run_id, base)
        load_reference(con)
        register_sources(con, SOURCES)
    finally:
        wh.checkpoint_and_close(con)
    return {"build": str(build), "base_run_id": base}


@task(
    retries=3,
    retry_delay_seconds=exponential_backoff(backoff_factor=2),
    retry_jitter_factor=0.5,
    task_run_name="extract-{source}",
)
def extract_source(settings: Settings, build: str, source: str, run_id: str) -> dict:
    con = _open(build)
    try:
        con.begin()
        summary = extract(con, SOURCES[source], settings.landing_url, settings.home / "raw", run_id)
        con.commit()
    finally:
        wh.checkpoint_and_close(con)
    return asdict(summary)


@task(task_run_name="stage-{source}")
def stage(settings: Settings, build: str, source: str, run_id: str) -> dict:
    con = _open(build)
    try:
        con.begin()
        summary = stage_source(con, SOURCES[source], pii_key(settings), run_id)
        con.commit()
    finally:
        wh.checkpoint_and_close(con)
    if summary.errors:
        get_run_logger().warning(
            "%s: %d file(s) unreadable, kept for the next run: %s",
            source,
            len(summary.errors),
            summary.errors[:5],
        )
    return asdict(summary)


@task
def build_core(build: str, sources: list[str], run_id: str) -> dict[str, str]:
    con = _open(build)
    try:
        con.begin()
        tables = core_models.build_core(con)
        core_models.build_run_views(con, sources, run_id)
        con.commit()
    finally:
        wh.checkpoint_and_close(con)
    return tables


@task
def validate(settings: Settings, build: str, run_id: str) -> dict:
    from expectations.run import run_checks  # GX is heavy: import it where it is used

    results = run_checks(build, settings.quality_file, settings.docs_dir / run_id)
    con = _open(build)
    try:
        record_checks(con, run_id, results)
    finally:
        wh.checkpoint_and_close(con)
    failed = [asdict(r) for r in results if not r.success]
    return {
        "checks": len(results),
        "failed": failed,
        "docs": str(
            settings.docs_dir / run_id / "uncommitted" / "data_docs" / "local_site" / "index.html"
        ),
    }


@task
def indicators(build: str, run_id: str, failed_checks: list[dict]) -> dict:
    from expectations.gate import blocked_indicators, failed_critical
    from expectations.run import CheckRow

    catalogue = load_catalogue()
    failed = failed_critical([CheckRow(**f) for f in failed_checks])
    blocked = blocked_indicators({i.id: i.inputs for i in catalogue}, core_models.lineage(), failed)
    con = _open(build)
    try:
        con.begin()
        rows = compute_indicators(con, catalogue, run_id, blocked)
        con.execute(MARTS_SQL.read_text())
        con.commit()
    finally:
        wh.checkpoint_and_close(con)
    return {"rows": rows, "blocked": blocked}


@task
def publish(
    settings: Settings, build: str, base_run_id: str | None, run_id: str, blocked: dict
) -> str:
    con = _open(build)
    try:
        problems = audit_problems(con)
        if problems:
            raise wh.PublishError("audit failed, nothing published:\n- " + "\n- ".join(problems))
        finish_run(con, run_id, blocked)
    finally:
        wh.checkpoint_and_close(con)
    _test_fault("before_publish")
    return str(wh.publish(Path(build), settings.warehouse, base_run_id))


def _test_fault(point: str) -> None:
    """Test hook: ``CHISO_TEST_FAULT=before_publish:raise|kill`` makes a run die at that point."""
    spec = os.environ.get("CHISO_TEST_FAULT", "")
    if spec.startswith(point + ":"):
        if spec.endswith(":kill"):
            os.kill(os.getpid(), signal.SIGKILL)
        raise RuntimeError(f"injected fault at {point}")


@task
def report(settings: Settings, staged: list[dict], checks: dict, computed: dict) -> None:
    con = wh.connect(settings.warehouse, read_only=True)
    try:
        rows = scorecard_rows(con)
    finally:
        con.close()
    create_table_artifact(
        key="scorecard", table=rows, description="Plan 190 scorecard, latest period"
    )
    create_markdown_artifact(
        key="data-quality",
        markdown=quality_markdown(staged, checks, computed["blocked"]),
        description="Data quality of this run",
    )
    create_link_artifact(
        key="data-docs",
        link=Path(checks["docs"]).as_uri(),
        link_text="GX Data Docs of this run",
        description="Static Great Expectations Data Docs (open on the machine that ran the flow)",
    )


@flow(name="nightly", log_prints=True, result_serializer="json")
def nightly() -> object:
    """Run the whole pipeline once; publish; report. Ends Failed (named) if indicators are blocked."""
    settings = load_settings()
    run_id = flow_run.get_id() or f"local-{uuid.uuid4()}"
    with run_guard(settings, run_id, get_run_logger()):  # lock; mark dead runs; clean up after them
        return _nightly(settings, run_id)


def _nightly(settings: Settings, run_id: str) -> object:
    if settings.simulate:
        simulate(settings)
    prepared = prepare(settings, run_id)
    build, base = prepared["build"], prepared["base_run_id"]
    names = active_sources(settings)
    for name in names:
        extract_source(settings, build, name, run_id)
    staged = [stage(settings, build, name, run_id) for name in names]
    build_core(build, names, run_id)
    checks = validate(settings, build, run_id)
    computed = indicators(build, run_id, checks["failed"])
    publish(settings, build, base, run_id, computed["blocked"])
    report(settings, staged, checks, computed)
    if computed["blocked"]:
        ids = ", ".join(sorted(computed["blocked"]))
        return Failed(
            name="Published with blocked indicators",
            message=f"published; indicators blocked by failed critical checks: {ids}. "
            f"See the data-quality artifact and {checks['docs']}",
        )
    return Completed(message=f"published {settings.warehouse}")
