"""The nightly flow: the DAG, one thin task per step.

    seed (embedded default only: the simulator fills the landing zone, flows/seed.py)
        |
    prepare     build file = copy of the published warehouse; run registered
        |
    extract     per source: new landing files -> raw archive + manifest (retried: the I/O step);
                dossiers / 766 figures pulled from their API instead when its URL is set
        |
    stage       per source: parse, type, hash, row rules -> stg.* and audit.quarantine
        |
    build_core  dimensions and facts from stg.*; per-run views for source-scoped rules
        |
    validate    Great Expectations in DuckDB -> audit.check_result
        |
    indicators  the gate (failed critical checks -> blocked indicators), the catalogue -> marts
        |
    describe    mart.lineage and a comment on every table, view and column
        |
    publish     audit, then one atomic replace of the published warehouse
        |
    report      artifacts: scorecard, data quality, Data Docs link, the report (HTML, PDF)

Each task opens a warehouse session (``with session(build) as con``) and calls
one function of its layer; the slice registry (``flows/registry.py``) says
which connector, staging, models, rules and indicators each source has. Task
results are persisted, so retrying a failed run (UI "Retry" or
``chiso retry <id>``) finds its build file, skips the finished tasks (they
come back Cached) and loads nothing twice.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from pathlib import Path

import duckdb
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run
from prefect.states import Completed, Failed
from prefect.tasks import exponential_backoff

from expectations.datadocs import docs_url, site_index
from flows import registry
from flows.housekeeping import run_guard
from flows.report_artifact import link_report
from flows.settings import Settings, load_settings, pii_key
from sources.base import Source
from sources.extract import extract, register_sources
from transforms import core
from transforms.marts import build_marts
from transforms.marts.indicators import load_catalogue
from transforms.staging.run import load_reference, stage_source
from warehouse import build as wh
from warehouse.audit import audit_problems, finish_run, record_checks, start_run
from warehouse.build import session
from warehouse.reports import quality_markdown, reconciliation_rows, scorecard_rows


def active_sources(settings: Settings) -> list[str]:
    """The sources this run takes: all registered, or those named in CHISO_SOURCES."""
    return [s.name for s in registry.select(settings.sources)]


@task
def prepare(settings: Settings, run_id: str) -> dict:
    base = wh.published_run_id(settings.warehouse)
    build = wh.prepare_build(settings.warehouse, settings.build_path(run_id))
    with session(build) as con:
        start_run(con, run_id, base)
        load_reference(con)
        register_sources(con, registry.sources())
    return {"build": str(build), "base_run_id": base}


@task(
    retries=3,
    retry_delay_seconds=exponential_backoff(backoff_factor=2),
    retry_jitter_factor=0.5,
    task_run_name="extract-{source}",
)
def extract_source(settings: Settings, build: str, source: str, run_id: str) -> dict:
    part = registry.SLICES[source]
    pulled = pulled_datasets(settings).get(source, ())
    with session(build) as con:
        summary = extract(
            con, part.source, settings.landing_url, settings.raw_dir, run_id, skip=pulled
        )
    out = asdict(summary)
    if pulled:  # one commit per page, with the cursor: a failure keeps what was taken
        with session(build, transaction=False) as con:
            out["pulled"] = pull_from_api(con, settings, part.source, run_id)
    return out


def pulled_datasets(settings: Settings) -> dict[str, tuple[str, ...]]:
    """Source -> datasets pulled from an API instead of taken from the landing zone."""
    return {
        name: datasets
        for name, url, datasets in [
            ("dvc", settings.dvc_api_url, ("dossier",)),
            ("national766", settings.national766_url, ("evaluation",)),
        ]
        if url
    }


def pull_from_api(
    con: duckdb.DuckDBPyConnection, settings: Settings, source: Source, run_id: str
) -> dict:
    import os

    from sources.pull import DossierPull, pull_766, pull_dossiers

    first, last = settings.pull_window()
    if source.name == "dvc":
        how = DossierPull(
            settings.dvc_api_url,
            first,
            last,
            settings.dvc_api_overlap_days,
            settings.dvc_api_page_size,
            settings.dvc_api_timeout,
        )
        summary, pulled = pull_dossiers(con, source, how, os.environ, settings.raw_dir, run_id)
        return asdict(summary) | asdict(pulled)
    return asdict(
        pull_766(con, source, settings.national766_url, first, last, settings.raw_dir, run_id)
    )


@task(task_run_name="stage-{source}")
def stage(settings: Settings, build: str, source: str, run_id: str) -> dict:
    part = registry.SLICES[source]
    with session(build) as con:
        summary = stage_source(con, part.source, part.staging, pii_key(settings), run_id)
    if summary.errors:
        get_run_logger().warning(
            "%s: %d file(s) unreadable, kept for the next run: %s",
            source,
            len(summary.errors),
            summary.errors[:5],
        )
    return asdict(summary)


@task
def build_core(build: str, run_id: str) -> dict[str, str]:
    with session(build) as con:
        return core.build(con, registry.model_folders(), registry.run_view_folders(), run_id)


@task
def validate(settings: Settings, build: str, run_id: str) -> dict:
    from expectations.run import load_thresholds, run_checks  # GX is heavy: import it where used

    thresholds = load_thresholds(registry.threshold_files(), settings.quality_file)
    suites = [s for s in registry.suites(thresholds) if not s.table.startswith("mart.")]
    results = run_checks(build, suites, settings.gx_dir, run_id)
    with session(build) as con:
        record_checks(con, run_id, results)
    return {
        "checks": len(results),
        "failed": [asdict(r) for r in results if not r.success],
        "docs": str(site_index(settings.gx_dir)),
    }


@task
def indicators(settings: Settings, build: str, run_id: str, failed_checks: list[dict]) -> dict:
    from expectations.gate import blocked_by
    from expectations.run import CheckRow, load_thresholds, run_checks

    catalogue = load_catalogue(registry.catalogue_files())
    lineage = {
        **core.lineage(registry.model_folders()),
        **core.run_views_lineage(registry.run_view_folders()),
    }
    blocked = blocked_by([CheckRow(**f) for f in failed_checks], catalogue, lineage)
    thresholds = load_thresholds(registry.threshold_files(), settings.quality_file)
    from expectations.suites.national766 import National766Thresholds

    tolerance = thresholds[National766Thresholds].reconciliation_tolerance
    with session(build) as con:
        rows = build_marts(con, catalogue, run_id, blocked, tolerance)
    # rules over the marts (the reconciliation with the national portal: warnings, never a block)
    marts = [s for s in registry.suites(thresholds) if s.table.startswith("mart.")]
    results = run_checks(build, marts, settings.gx_dir, run_id)
    with session(build) as con:
        record_checks(con, run_id, results)
    return {
        "rows": rows,
        "blocked": blocked,
        "mart_checks": len(results),
        "mart_failed": [asdict(r) for r in results if not r.success],
    }


@task
def describe(build: str) -> list[str]:
    """mart.lineage and every table's, view's and column's comment; returns what has none."""
    from transforms.describe import describe_warehouse

    with session(build) as con:
        missing = describe_warehouse(
            con,
            load_catalogue(registry.catalogue_files()),
            {
                **core.lineage(registry.model_folders()),
                **core.run_views_lineage(registry.run_view_folders()),
            },
            registry.model_folders(),
            registry.run_view_folders(),
            registry.sources(),
            {s.name: s.staging for s in registry.SLICES.values()},
        )
    if missing:
        get_run_logger().warning("%d without a comment: %s", len(missing), missing[:20])
    return missing


@task
def publish(
    settings: Settings, build: str, base_run_id: str | None, run_id: str, blocked: dict
) -> str:
    with session(build) as con:
        problems = audit_problems(con)
        if problems:
            raise wh.PublishError("audit failed, nothing published:\n- " + "\n- ".join(problems))
        finish_run(con, run_id, blocked)
    return str(wh.publish(Path(build), settings.warehouse, base_run_id))


@task
def report(settings: Settings, staged: list[dict], checks: dict, computed: dict) -> None:
    con = wh.connect(settings.warehouse, read_only=True)
    try:
        rows = scorecard_rows(con)
        differing = reconciliation_rows(con)
    finally:
        con.close()
    checked = {
        **checks,
        "checks": checks["checks"] + computed.get("mart_checks", 0),
        "failed": checks["failed"] + computed.get("mart_failed", []),
    }
    create_table_artifact(
        key="scorecard", table=rows, description="Plan 190 scorecard, latest period"
    )
    create_markdown_artifact(
        key="data-quality",
        markdown=quality_markdown(staged, checked, computed["blocked"], differing),
        description="Data quality of this run",
    )
    url = docs_url(settings.gx_dir, settings.docs_port)
    if url:
        create_link_artifact(
            key="data-docs",
            link=url,
            link_text="GX Data Docs (this run and the ones before)",
            description="Great Expectations Data Docs, served by `chiso docs`",
        )
    else:
        create_markdown_artifact(
            key="data-docs",
            markdown="Data Docs are not served now: run `chiso docs` (or `make docs`) on the "
            f"machine that ran the flow and open the URL it prints ({checks['docs']}).",
            description="Great Expectations Data Docs",
        )
    link_report(settings)


@flow(name="nightly", log_prints=True, result_serializer="json")
def nightly() -> object:
    """Run the whole pipeline once; publish; report. Ends Failed (named) if indicators are blocked."""
    settings = load_settings()
    run_id = flow_run.get_id() or f"local-{uuid.uuid4()}"
    with run_guard(settings, run_id, get_run_logger()):  # lock; mark dead runs; clean up after them
        return _nightly(settings, run_id)


def _nightly(settings: Settings, run_id: str) -> object:
    names = active_sources(settings)
    if settings.simulate:  # the embedded default: fake the landing zone, then read it as a real one
        from flows.seed import seed

        seed(settings, names)
    prepared = prepare(settings, run_id)
    build, base = prepared["build"], prepared["base_run_id"]
    for name in names:
        extract_source(settings, build, name, run_id)
    staged = [stage(settings, build, name, run_id) for name in names]
    build_core(build, run_id)
    checks = validate(settings, build, run_id)
    computed = indicators(settings, build, run_id, checks["failed"])
    describe(build)
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
