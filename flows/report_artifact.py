"""The nightly's report artifact: the HTML (and PDF) report of what was just published, linked on the run."""

from __future__ import annotations

from prefect import get_run_logger
from prefect.artifacts import create_link_artifact

from flows.settings import Settings
from warehouse.build import published_run_id
from warehouse.report import write_report


def link_report(settings: Settings, reuse: bool = False) -> str:
    """Write ``<home>/reports/<run>/report.html`` (and .pdf) and link it on the flow run; return the path.

    ``reuse``: link the published run's report if it was written already (a night with nothing
    new publishes nothing, so its report is the one of the published run).
    """
    run = published_run_id(settings.warehouse) or "unpublished"
    folder = settings.home / "reports" / run
    html, pdf = folder / "report.html", folder / "report.pdf"
    if not (reuse and html.exists()):
        done = write_report(settings.warehouse, folder)
        if done.pdf is None:
            get_run_logger().warning("report PDF not written: %s", done.pdf_error)
        html, pdf = done.html, done.pdf or pdf
    create_link_artifact(
        key="report",
        link=html.as_uri(),
        link_text="Plan 190 report (HTML" + (", PDF beside it)" if pdf.exists() else ")"),
        description="Báo cáo Kế hoạch 190 / Plan 190 report of this run (open on the machine that ran it)",
    )
    return str(html)
