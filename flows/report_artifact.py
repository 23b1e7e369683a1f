"""The nightly's report artifact: the HTML (and PDF) report of what was just published, linked on the run."""

from __future__ import annotations

from pathlib import Path

from prefect import get_run_logger
from prefect.artifacts import create_link_artifact

from flows.settings import Settings
from warehouse.build import published_run_id
from warehouse.report import write_report


def report_folder(settings: Settings) -> Path:
    """``<home>/reports/<published run>``: where the published run's report goes."""
    return settings.home / "reports" / (published_run_id(settings.warehouse) or "unpublished")


def write_run_report(settings: Settings) -> dict[str, str | None]:
    """Write the published run's ``report.html`` (and ``report.pdf``): the paths, and why there
    is no PDF if there is none. No Prefect call: the nightly runs it as a task beside its
    artifacts (chromium prints the PDF in its own process)."""
    done = write_report(settings.warehouse, report_folder(settings))
    return {
        "html": str(done.html),
        "pdf": None if done.pdf is None else str(done.pdf),
        "pdf_error": done.pdf_error,
    }


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
