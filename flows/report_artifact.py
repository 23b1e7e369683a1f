"""The nightly's report artifact: the HTML (and PDF) report of what was just published, linked on the run."""

from __future__ import annotations

from pathlib import Path

import duckdb
from prefect import get_run_logger
from prefect.artifacts import create_link_artifact

from flows.settings import Settings
from warehouse.build import published_run_id
from warehouse.report import Report, ReportJob, start_report, write_report

PDF = True
"""Whether the nightly's report has its PDF (headless chromium, about a second a run); tests
that do not look at it turn it off."""


def report_folder(settings: Settings, run_id: str | None = None) -> Path:
    """``<home>/reports/<run>``: the report of run ``run_id`` (by default the published one)."""
    run = run_id or published_run_id(settings.warehouse) or "unpublished"
    return settings.home / "reports" / run


def report_paths(done: Report) -> dict[str, str | None]:
    """A written report as the paths a task returns (and why there is no PDF if there is none)."""
    return {
        "html": str(done.html),
        "pdf": None if done.pdf is None else str(done.pdf),
        "pdf_error": done.pdf_error,
    }


def start_run_report(con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str) -> ReportJob:
    """The report of the build ``con`` is about to publish as run ``run_id``: its HTML written
    now, its PDF printed by chromium while the build is checkpointed and moved."""
    return start_report(con, report_folder(settings, run_id), pdf=PDF)


def write_run_report(settings: Settings) -> dict[str, str | None]:
    """Write the published run's ``report.html`` (and ``report.pdf``)."""
    return report_paths(write_report(settings.warehouse, report_folder(settings), pdf=PDF))


def link_report(
    settings: Settings, reuse: bool = False, written: dict[str, str | None] | None = None
) -> str:
    """Link the published run's report on the flow run (written now unless ``written`` says
    where it was); return the HTML's path.

    ``reuse``: link the published run's report if it was written already (a night with nothing
    new publishes nothing, so its report is the one of the published run).
    """
    folder = report_folder(settings)
    html, pdf = folder / "report.html", folder / "report.pdf"
    if written is None and not (reuse and html.exists()):
        written = write_run_report(settings)
    if written is not None:
        if written["pdf"] is None:
            get_run_logger().warning("report PDF not written: %s", written["pdf_error"])
        html = Path(str(written["html"]))
    create_link_artifact(
        key="report",
        link=html.as_uri(),
        link_text="Plan 190 report (HTML" + (", PDF beside it)" if pdf.exists() else ")"),
        description="Báo cáo Kế hoạch 190 / Plan 190 report of this run (open on the machine that ran it)",
    )
    return str(html)
