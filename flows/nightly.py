"""The nightly flow: the DAG, one thin task per step.

    preflight   settings and parameters checked once, landing zone there (no task yet)
        |
    seed        (simulating only: the simulator fills the landing zone, flows/seed.py)
        |
    prepare     build file = copy of the published warehouse (or the run's own, on a retry)
        |
    extract     per source: new landing files -> raw archive + manifest (retried: the I/O step);
                dossiers / 766 figures pulled from their API instead when its URL is set
        |
    restage     (asked for only: archived files of a period handed back to staging)
        |
    stage       per source: parse, type, hash, row rules -> stg.* and audit.quarantine
        |       (nothing new — no file taken, same definitions: the build is dropped, the
        |        published warehouse stands, the run ends as the published run did)
    build_core  dimensions and facts from stg.*; per-run views for source-scoped rules
        |       (a night: kept / merged by key / rebuilt as the new rows need)
        |
    validate    Great Expectations in DuckDB -> audit.check_result
        |
    indicators  the gate (failed critical checks -> blocked indicators), the catalogue -> marts
        |       (a night: the periods the merged keys touch, the rest kept)
        |\
        | data-docs     GX's pages of every check of the run and the index, beside
        |               describe and publish (the checks only store their results)
    describe    mart.lineage and a comment on every table, view and column
        |
    publish     the report of what it publishes (HTML; chromium prints the PDF meanwhile), the
        |       audit, then one atomic replace of the published warehouse
        |
    report      artifacts on the flow run: scorecard, data quality, the report link and, once
                data-docs is done, the Data Docs link

How a run ends (the state's name is always one the Prefect UI lists):

| state | message starts | tag | ``chiso nightly`` exits |
|---|---|---|---|
| Completed | ``published`` | | 0 |
| Failed | ``blocked:`` (published; those indicators keep their last value) | ``blocked`` | 2 |
| Failed | ``attention:`` (published; unreadable files or quarantine above threshold) | ``attention`` | 3 |
| Failed | the cause (nothing published) | | 1 |

Each task opens a warehouse session (``with session(build) as con``) and calls
one function of its layer; the slice registry (``flows/registry.py``) says
which connector, staging, models, rules and indicators each source has. Task
results are persisted and keyed on what each step reads (``flows/caching.py``),
so a retry (UI "Retry" or ``chiso retry <id>``) reuses the steps whose inputs
did not change and recomputes those whose data did; a run that lost the
publish race to another one discards its build and, retried, builds again on
the current warehouse.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import duckdb
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.exceptions import FailedRun
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.states import Completed, Failed, State
from prefect.tasks import exponential_backoff
from prefect.utilities.annotations import quote

from expectations.datadocs import docs_url, site_index
from flows import registry
from flows.caching import (
    core_state,
    definitions_fingerprint,
    extract_state,
    indicators_state,
    reads,
    restage_state,
    stage_state,
    validate_state,
)
from flows.handoff import quick_handoff
from flows.housekeeping import run_guard
from flows.preflight import RestagePeriod, RunPlan, SourceName, check_inputs, plan_run
from flows.report_artifact import link_report, report_paths, start_run_report
from flows.settings import Settings, SettingsError, load_settings, pii_key
from sources.base import Source
from sources.extract import extract, register_sources
from transforms import core
from transforms.marts import build_marts
from transforms.marts.indicators import load_catalogue
from transforms.staging.restage import mark_for_restage
from transforms.staging.run import load_reference, stage_source
from warehouse import build as wh
from warehouse.audit import audit_problems, finish_run, record_checks
from warehouse.build import session
from warehouse.delta import changes as core_changes
from warehouse.delta import drop_delta
from warehouse.reports import reconciliation_rows
from warehouse.run_report import (
    SourceOutcome,
    attention,
    quality_markdown,
    scorecard_artifact,
    unreadable_files,
)
from warehouse.spare import start_spare
from warehouse.state import (
    PublishedRun,
    StaleBuild,
    discard_build,
    landing_has_news,
    nothing_new,
    open_build,
    publish_build,
    published_run,
    stamp_definitions,
)

TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")


class _OwnFailureIsNotACrash(logging.Filter):
    """Drop the engine's "exited with unexpected exception" traceback for a run that ended Failed
    by its own decision (a state the flow returned, e.g. a bad setting or blocked indicators):
    its cause is already the run's message and its last log line; the traceback is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (
            isinstance(exc, FailedRun)
            and str(record.msg).startswith("Engine execution exited with unexpected exception")
        )


logging.getLogger("prefect.flow_runs").addFilter(_OwnFailureIsNotACrash())
BLOCKED, ATTENTION, PUBLISHED = "blocked:", "attention:", "published"


def active_sources(settings: Settings) -> list[str]:
    """The sources this run takes: all registered, or those named in CHISO_SOURCES."""
    return [s.name for s in registry.select(settings.sources)]


def run_name() -> str:
    """``nightly-2025-12-31`` (the day it was scheduled for, in Hậu Giang), ``-dvc`` when a run
    is limited to some sources; a retried run keeps its name."""
    current = flow_run.get_name() or ""
    if current.startswith("nightly-"):
        return current
    start = flow_run.get_scheduled_start_time()
    day = start.astimezone(TIMEZONE).date() if start else date.today()
    chosen = (flow_run.get_parameters() or {}).get("sources") or []
    return f"nightly-{day.isoformat()}" + ("-" + "-".join(chosen) if chosen else "")


def transient(_task: Any, _task_run: Any, state: State) -> bool:
    """Retry only what may pass on its own (I/O hiccups), not a missing or forbidden path."""
    try:
        state.result(raise_on_failure=True)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
        return False
    except (OSError, TimeoutError, ConnectionError):
        return True
    except Exception:  # noqa: BLE001 - anything else is not transient
        return False
    return False


@task(cache_policy=NO_CACHE)
def look_for_news(settings: Settings, sources: list[str]) -> bool:
    """Whether the landing zone holds a file the published warehouse has not taken."""
    return landing_has_news(
        settings.warehouse, [registry.SLICES[n].source for n in sources], settings.landing_url
    )


@task(cache_policy=NO_CACHE)
def prepare(settings: Settings, run_id: str) -> dict:
    """The run's build file (a copy of the published warehouse), its reference data and sources;
    the log says how the copy was made (the spare the last publish left, or why not)."""
    info = open_build(settings.warehouse, settings.build_path(run_id), run_id)
    if info.how:
        log = get_run_logger()
        (log.warning if info.warn else log.info)("build file: %s", info.how)
    with session(info.build) as con:
        load_reference(con)
        register_sources(con, registry.sources())
    return asdict(info)


@task(
    retries=3,
    retry_delay_seconds=exponential_backoff(backoff_factor=2),
    retry_jitter_factor=0.5,
    retry_condition_fn=transient,
    cache_policy=reads(extract_state),
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


@task(cache_policy=reads(restage_state), task_run_name="restage-{source}")
def restage_source(build: str, source: str, period: RestagePeriod, run_id: str) -> dict:
    with session(build) as con:
        summary = mark_for_restage(
            con, source, registry.SLICES[source].staging, period.start, period.end, run_id
        )
    return asdict(summary)


@task(cache_policy=reads(stage_state), task_run_name="stage-{source}")
def stage(settings: Settings, build: str, source: str, run_id: str) -> dict:
    part = registry.SLICES[source]
    with session(build) as con:
        summary = stage_source(con, part.source, part.staging, pii_key(settings), run_id)
        unreadable = unreadable_files(con, source)
    return {"summary": asdict(summary), "unreadable": unreadable}


@task(cache_policy=reads(core_state))
def build_core(build: str, run_id: str, incremental: bool = False) -> dict[str, str]:
    with session(build) as con:
        outcome = core.build(
            con, registry.model_folders(), registry.run_view_folders(), run_id, incremental
        )
    get_run_logger().info("core tables: %s", core.outcome_line(outcome))
    return outcome


@task(cache_policy=reads(validate_state))
def validate(settings: Settings, build: str, run_id: str, night_of: str | None = None) -> dict:
    """The checks; ``night_of``: the published run a night builds on (its staged tables that
    passed then are checked on the night's rows, ``expectations.run.night_tables``; its core
    tables merged by key, on the merged keys' uniqueness, ``merged_tables``)."""
    from expectations.run import load_thresholds, merged_tables, night_tables, run_checks

    thresholds = load_thresholds(registry.threshold_files(), settings.quality_file)
    suites = [s for s in registry.suites(thresholds) if not s.table.startswith("mart.")]
    # (no checkpoint: the indicators write beside, ``indicators``)
    with session(build, checkpoint=False) as con:
        night = night_tables(con, suites, night_of)
        merged = merged_tables(con, night_of, run_id)
    # the run's Data Docs are rendered once, after its last checks (``data_docs``); the file is
    # shared with the indicators, computed beside (``indicators``)
    results = run_checks(
        build, suites, settings.gx_dir, run_id, night, merged, docs=False, shared=True
    )
    with session(build, checkpoint=False) as con:
        record_checks(con, run_id, results)
    return {
        "checks": len(results),
        "failed": [asdict(r) for r in results if not r.success],
        "docs": str(site_index(settings.gx_dir)),
    }


class Blocked(Exception):
    """The checks block some indicators: the marts computed beside them are rolled back."""

    def __init__(self, blocked: dict[str, str]) -> None:
        super().__init__(f"blocked: {', '.join(sorted(blocked))}")
        self.blocked = blocked


@task(cache_policy=reads(indicators_state, besides="checks"))
def indicators(settings: Settings, build: str, run_id: str, checks: PrefectFuture) -> dict:
    """The marts, computed beside the checks (``checks``: the ``validate`` running) as if none
    failed: the checks' Python and the marts' SQL share the two cores. The marts' transaction
    then waits for the checks: it commits if no failed check blocks an indicator; else it is
    rolled back and the marts are computed again with those indicators blocked (keeping their
    last values), as they would have been after the checks."""
    from expectations.gate import blocked_by
    from expectations.run import CheckRow, load_thresholds, run_checks

    catalogue = load_catalogue(registry.catalogue_files())
    lineage = {
        **core.lineage(registry.model_folders()),
        **core.run_views_lineage(registry.run_view_folders()),
    }
    thresholds = load_thresholds(registry.threshold_files(), settings.quality_file)
    from expectations.suites.national766 import National766Thresholds

    tolerance = thresholds[National766Thresholds].reconciliation_tolerance
    try:
        with session(build) as con:
            rows = build_marts(con, catalogue, run_id, {}, tolerance, core_changes(con, run_id))
            failed = [CheckRow(**f) for f in checks.result()["failed"]]
            blocked = blocked_by(failed, catalogue, lineage)
            if blocked:
                raise Blocked(blocked)
    except Blocked as refused:
        blocked = refused.blocked
        get_run_logger().info("the marts computed again: %d indicator(s) blocked", len(blocked))
        with session(build) as con:
            changes = core_changes(con, run_id)
            rows = build_marts(con, catalogue, run_id, blocked, tolerance, changes)
    # rules over the marts (the reconciliation with the national portal: warnings, never a block)
    marts = [s for s in registry.suites(thresholds) if s.table.startswith("mart.")]
    results = run_checks(build, marts, settings.gx_dir, run_id, docs=False, shared=True)
    with session(build) as con:
        record_checks(con, run_id, results)
    return {
        "rows": rows,
        "blocked": blocked,
        "mart_checks": len(results),
        "mart_failed": [asdict(r) for r in results if not r.success],
    }


@task(cache_policy=NO_CACHE, task_run_name="data-docs")
def data_docs(settings: Settings, run_id: str) -> int:
    """Every page of the run's checks and the Data Docs index: GX's rendering, a second of
    Python, runs beside describe and publish (nothing after the checks reads the pages), in a
    process of its own (``render_docs_apart``)."""
    from expectations.gx_project import render_docs_apart

    return render_docs_apart(settings.gx_dir, run_id)


def docs_index(settings: Settings, run_id: str) -> None:
    """The Data Docs of a run that failed after some of its checks ran: they still show."""
    from expectations.gx_project import render_docs

    try:
        render_docs(settings.gx_dir, run_id)
    except Exception as exc:  # noqa: BLE001 - the run's own failure is what to report
        get_run_logger().warning("Data Docs not rendered: %s", exc)


@task(cache_policy=NO_CACHE)  # comments go with the tables: cheap, always redone
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


@task(cache_policy=NO_CACHE)
def publish(
    settings: Settings,
    build: str,
    base_run_id: str | None,
    run_id: str,
    blocked: dict,
    definitions: str,
) -> dict[str, Any]:
    """The run marked published and its report written, in the build's transaction; while
    chromium prints the report's PDF in its own processes, the audit, the checkpoint (which
    vacuums the tables holding many deleted rows, ``warehouse.build.compact``) and one atomic
    replace. A build refused or not published takes its report with it (and its mark: the
    transaction is rolled back)."""
    job = None
    try:
        with session(build) as con:
            finish_run(con, run_id, blocked)
            stamp_definitions(con, run_id, definitions)
            job = start_run_report(con, settings, run_id)  # the build as it will be published
            problems = audit_problems(con, run_id)
            if problems:
                raise wh.PublishError(
                    "audit failed, nothing published:\n- " + "\n- ".join(problems)
                )
            drop_delta(con)  # the run's changes describe its build, not the published warehouse
            compacted = wh.compact(con)  # vacuumed by the session's checkpoint
        if compacted:
            get_run_logger().info(
                "vacuumed (more than %d%% of their rows, and a row group, deleted): %s",
                round(wh.COMPACT_ABOVE * 100),
                ", ".join(compacted),
            )
        published = publish_build(Path(build), settings.warehouse, base_run_id)
    except BaseException:
        if job is not None:
            job.cancel()
        raise
    return {
        "warehouse": str(published),
        "report": report_paths(job.finish()),
        "compacted": compacted,
    }


@task(cache_policy=NO_CACHE)
def report(settings: Settings) -> dict[str, list[dict]]:
    con = wh.connect(settings.warehouse, read_only=True)
    try:
        return {"scorecard": scorecard_artifact(con), "reconciliation": reconciliation_rows(con)}
    finally:
        con.close()


def finished(future: PrefectFuture, what: str) -> Any | None:
    """The result of a step run beside the others, once it is done; None (and a warning) if it
    failed: pages for people, not the published values, which stand."""
    future.wait()
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - the run published; its state says how it ended
        get_run_logger().warning("%s not written: %s", what, exc)
        return None


OUTCOME_TAGS = ("blocked", "attention")


def _tag_run(tags: list[str]) -> None:
    """Set the run's outcome tags (a retry that ends well drops those of its failed attempt)."""
    run_id = flow_run.get_id()
    if not run_id:
        return
    try:
        with get_client(sync_client=True) as client:
            current = set(client.read_flow_run(uuid.UUID(run_id)).tags or [])
            wanted = (current - set(OUTCOME_TAGS)) | set(tags)
            if wanted != current:
                client.update_flow_run(uuid.UUID(run_id), tags=sorted(wanted))
    except Exception as exc:  # noqa: BLE001 - a tag is a courtesy; the state says it all
        get_run_logger().warning("could not tag the run %s: %s", tags, exc)


def final_state(blocked: dict[str, str], notes: list[str], warehouse: Path) -> State:
    """How the run ends once it published (see the module docstring)."""
    if blocked:
        _tag_run(["blocked", *(["attention"] if notes else [])])
        ids = ", ".join(sorted(blocked))
        extra = f" Also: {'; '.join(notes)}." if notes else ""
        return Failed(
            message=f"{BLOCKED} {ids} — published; these keep their last published value "
            f"(a failed critical check, see the data-quality artifact).{extra}"
        )
    if notes:
        _tag_run(["attention"])
        return Failed(message=f"{ATTENTION} published, but {'; '.join(notes)}")
    _tag_run([])
    return Completed(message=f"{PUBLISHED} {warehouse}")


def _artifacts(
    settings: Settings,
    rows: list[dict[str, str]],
    quality: str,
    checks: dict,
    blocked: dict[str, str],
    docs: PrefectFuture,
    report_written: dict[str, str | None],
) -> None:
    """The run's artifacts, on the flow run itself (created here, in the flow, not in a task);
    the Data Docs link once ``docs`` rendered them."""
    create_table_artifact(
        key="scorecard",
        table=rows,
        description="Plan 190 scorecard, latest period: province first, then districts"
        + (f" — blocked: {', '.join(sorted(blocked))}" if blocked else ""),
    )
    create_markdown_artifact(
        key="data-quality", markdown=quality, description="Data quality of this run"
    )
    finished(docs, "Data Docs")  # the index links the earlier runs' pages all the same
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
    link_report(settings, written=report_written)


@flow(name="nightly", flow_run_name=run_name, log_prints=True, result_serializer="json")
def nightly(
    sources: list[SourceName] | None = None,
    simulate: bool | None = None,
    restage: RestagePeriod | None = None,
    full: bool = False,
) -> State:
    """Load what the sources delivered, check it, compute the Plan 190 indicators and publish them.

    Args:
        sources: Sources to run; none picked = every registered source (or CHISO_SOURCES).
            The others keep their published data.
        simulate: Fill the landing zone with the simulator first (the embedded default);
            empty = CHISO_SIMULATE (on unless CHISO_LANDING_URL is set).
        restage: Re-read the archived raw files of some sources for a date range (after a
            connector fix): their staged rows are replaced, their old quarantine superseded.
        full: A full rebuild: every archived file of the run's sources staged again, then
            everything built from it (the nightly gives the same values incrementally).
    """
    logger = get_run_logger()
    try:
        settings = load_settings()
        plan = plan_run(settings, sources, simulate, restage, full)
        check_inputs(settings, plan)
    except SettingsError as exc:  # configuration: one line, no task, no retry
        logger.error("the run cannot start: %s", exc)
        return Failed(message=str(exc))
    for note in plan.notes:
        logger.info(note)
    run_id = flow_run.get_id() or f"local-{uuid.uuid4()}"
    with run_guard(settings, run_id, logger):  # lock; mark dead runs; clean up after them
        return _run(settings, plan, run_id)


def _run(settings: Settings, plan: RunPlan, run_id: str) -> State:
    logger = get_run_logger()
    if plan.simulate:  # the embedded default: fake the landing zone, then read it as a real one
        from flows.seed import seed

        seed(settings, plan.sources)
        try:
            check_inputs(settings, plan, seeded=True)
        except SettingsError as exc:
            logger.error("the run cannot go on: %s", exc)
            return Failed(message=str(exc))
    published = published_run(settings.warehouse)
    definitions = definitions_fingerprint(settings)  # once a run: read by the checks and publish
    unchanged = published is not None and published.definitions == definitions
    if unchanged and plan.restage is None and not pulled_datasets(settings):
        if not settings.build_path(run_id).exists() and not look_for_news(settings, plan.sources):
            assert published is not None
            return _nothing_new(settings, None, published)
    prepared = prepare(settings, run_id)
    build, base = prepared["build"], prepared["base_run_id"]
    if not prepared["fresh"]:
        logger.info("resuming in the build file of this run (%s)", build)
    extracted = {name: extract_source(settings, build, name, run_id) for name in plan.sources}
    if plan.restage is not None:
        for name in plan.restage.sources:
            done = restage_source(build, name, plan.restage, run_id)
            if plan.full:
                logger.info(
                    "%s: full rebuild: re-staging all %d archived file(s) (%d staged rows "
                    "replaced, %d quarantine rows superseded)",
                    name,
                    done["files"],
                    done["rows_removed"],
                    done["quarantine_superseded"],
                )
                continue
            logger.info(
                "%s: re-staging %d archived file(s) dated %s..%s (%d staged rows replaced, "
                "%d quarantine rows superseded)",
                name,
                done["files"],
                plan.restage.start,
                plan.restage.end,
                done["rows_removed"],
                done["quarantine_superseded"],
            )
    staged = {name: stage(settings, build, name, run_id) for name in plan.sources}
    outcomes = [
        SourceOutcome.of(extracted[n], staged[n]["summary"], staged[n]["unreadable"])
        for n in plan.sources
    ]
    for outcome in outcomes:
        logger.info(outcome.line())
        for problem in outcome.unreadable:
            logger.warning(
                "%s: unreadable, kept and taken again next run: %s", outcome.source, problem
            )
    if unchanged and published is not None:
        summaries = [staged[n]["summary"] for n in plan.sources]
        extracts = [extracted[n] for n in plan.sources]
        if nothing_new(extracts, summaries, prepared["fresh"], plan.restage is not None):
            return _nothing_new(settings, build, published)
    # a night on the published warehouse with the same definitions touches what changed; a
    # first load, new definitions, a restage or --full rebuild everything
    incremental = unchanged and plan.restage is None
    build_core(build, run_id, incremental=incremental)
    # the checks, and beside them the indicators, which wait for them before they commit; the
    # two threads hand the interpreter to each other at once (``flows/handoff.py``)
    with quick_handoff():
        checking = validate.submit(settings, build, run_id, base if incremental else None)
        try:
            # (quoted: Prefect hands the task the running future, not its result)
            computed = indicators(settings, build, run_id, cast(PrefectFuture, quote(checking)))
            checks = checking.result()
        except BaseException:
            checking.wait()
            docs_index(settings, run_id)  # the Data Docs still show the checks that ran
            raise
    docs = data_docs.submit(settings, run_id)  # beside describe and publish
    try:
        describe(build)
        done = publish(settings, build, base, run_id, computed["blocked"], definitions)
    except BaseException:
        docs.wait()
        raise
    if settings.spare_build:  # the next night's copy, made while nothing waits for it
        try:
            start_spare(settings.warehouse, settings.build_dir)
        except OSError as exc:  # the night published; the next one copies as before
            logger.warning("the next night's copy not started: %s", exc)
    from expectations.run import load_thresholds
    from expectations.suites.core import RunThresholds

    limits = load_thresholds(registry.threshold_files(), settings.quality_file)[RunThresholds]
    notes = attention(outcomes, limits.max_unreadable_files, limits.max_quarantined_share)
    shown = report(settings)
    checked = {  # the marts' own checks (the 766 reconciliation: warnings) with the others
        **checks,
        "checks": checks["checks"] + computed.get("mart_checks", 0),
        "failed": checks["failed"] + computed.get("mart_failed", []),
    }
    _artifacts(
        settings,
        shown["scorecard"],
        quality_markdown(
            outcomes, checked, computed["blocked"], checks["docs"], shown["reconciliation"]
        ),
        checks,
        computed["blocked"],
        docs,
        done["report"],
    )
    wh.removals_done()  # the warehouse it replaced, removed beside the steps since
    return final_state(computed["blocked"], notes, settings.warehouse)


def _nothing_new(settings: Settings, build: str | None, published: PublishedRun) -> State:
    """No file came and nothing that makes the values changed: the published warehouse stands.

    The build is dropped unpublished (nothing to rebuild, check or copy); the artifacts show
    the published values; the run ends as the published run did (blocked stays blocked).
    """
    logger = get_run_logger()
    if build is not None:  # else no build was made: the landing zone held nothing new
        discard_build(Path(build))
    logger.info(
        "nothing new since run %s (no file delivered, same definitions): the published "
        "warehouse stands; nothing rebuilt, checked again or copied",
        published.run_id,
    )
    shown = report(settings)
    create_table_artifact(
        key="scorecard",
        table=shown["scorecard"],
        description=f"Plan 190 scorecard, latest period (unchanged since run {published.run_id})",
    )
    create_markdown_artifact(
        key="data-quality",
        markdown=f"Nothing new tonight: no source delivered a file, so the values and the "
        f"checks of run `{published.run_id}` stand.",
        description="Data quality of this run",
    )
    link_report(settings, reuse=True)
    if published.blocked:
        return final_state(published.blocked, [], settings.warehouse)
    _tag_run([])
    return Completed(
        message=f"{PUBLISHED} {settings.warehouse} unchanged: nothing new since run "
        f"{published.run_id}"
    )


__all__ = ["BLOCKED", "ATTENTION", "PUBLISHED", "StaleBuild", "nightly", "active_sources"]
