"""The report opens in a real headless browser with one chart per target and nothing fetched from
the network, and its PDF carries the Vietnamese text."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from conftest import CATALOGUE_FILES

from transforms.marts.indicators import load_catalogue
from warehouse.report import chromium, write_report

needs_browser = pytest.mark.skipif(
    chromium() is None and os.environ.get("CI") != "true",
    reason="chromium not installed here (CI installs it: .ci/run)",
)


@pytest.fixture(scope="module")
def report(small_warehouse, tmp_path_factory):
    return write_report(
        small_warehouse, tmp_path_factory.mktemp("report"), pdf=chromium() is not None
    )


@needs_browser
def test_report_has_one_chart_per_target_and_fetches_nothing(report, tmp_path):
    from playwright.sync_api import sync_playwright

    ids = [
        i.id for i in load_catalogue(CATALOGUE_FILES) if i.variant_of is None
    ]  # the plan's targets
    requests, failed, console_errors = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium(),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.on("request", lambda r: requests.append(r.url))
        page.on("requestfailed", lambda r: failed.append((r.url, r.failure)))
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.goto(report.html.resolve().as_uri(), wait_until="load")
        charts = page.eval_on_selector_all(
            "figure.chart",
            "els => els.map(e => [e.dataset.indicator, e.querySelectorAll('svg').length])",
        )
        title = page.title()
        text = page.inner_text("body")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=False)
        browser.close()
    assert sorted(c[0] for c in charts) == sorted(ids) and all(n == 1 for _, n in charts)
    assert failed == [] and console_errors == []
    assert [u for u in requests if not u.startswith("file://")] == []
    assert "Kế hoạch 190" in title
    assert "Nguyên nhân chính của khoảng cách" in text and "Main drivers of the gap" in text
    assert (tmp_path / "report.png").stat().st_size > 20_000


@needs_browser
@pytest.mark.skipif(
    shutil.which("pdftotext") is None and os.environ.get("CI") != "true",
    reason="pdftotext not installed here (CI installs poppler-utils: .ci/run)",
)
def test_pdf_renders_the_vietnamese_text(report):
    assert report.pdf is not None, report.pdf_error
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-layout", str(report.pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Báo cáo kết quả thực hiện Kế hoạch 190/KH-UBND" in first
    assert "chuyển đổi số tỉnh Hậu Giang" in first
    everything = subprocess.run(
        ["pdftotext", str(report.pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Tỷ lệ cấp kết quả giải quyết TTHC điện tử" in everything


def test_trend_chart_draws_values_gaps_and_the_target_without_a_plotting_library():
    import re
    from types import SimpleNamespace

    from warehouse.report import nice_ticks, trend_svg

    assert nice_ticks(86.2, 96.6) == [85, 90, 95, 100]
    assert nice_ticks(3, 3) == [2, 2.5, 3, 3.5, 4]
    chart = SimpleNamespace(
        id="T01",
        trend=[
            ("2025-01", 80.0, 95),
            ("2025-02", None, 95),
            ("2025-03", 90.0, 95),
            ("2025-04", 92.5, 95),
        ],
        trend_period="month",
        unit="percent",
        lower_is_better=False,
        comparator=">=",
        target=95,
    )
    svg = trend_svg(chart)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<circle") == 3  # a marker per known value
    assert svg.count("<polyline") == 1  # the first value stands alone: the gap breaks the line
    assert 'stroke-dasharray="6 3"' in svg and "target &gt;= 95" in svg
    ys = [float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"', svg)]
    assert ys == sorted(ys, reverse=True)  # rising values go up the page
    rank = SimpleNamespace(**{**vars(chart), "unit": "rank", "lower_is_better": True})
    ranks = [float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"', trend_svg(rank))]
    assert ranks == sorted(ranks)  # a rank's axis runs downwards
    empty = SimpleNamespace(**{**vars(chart), "trend": [("2025", None, None)]})
    assert "no data yet" in trend_svg(empty)


def test_a_report_job_of_a_build_not_published_takes_its_report_with_it(small_warehouse, tmp_path):
    """The nightly writes the report of its build before the replace (chromium prints the PDF
    meanwhile); a build that is not published leaves no report behind."""
    from warehouse.build import connect_published
    from warehouse.report import start_report

    con = connect_published(small_warehouse)
    try:
        job = start_report(con, tmp_path / "reports" / "run-1", pdf=chromium() is not None)
    finally:
        con.close()
    assert "Kế hoạch 190" in job.html.read_text(encoding="utf-8")
    job.cancel()
    assert not (tmp_path / "reports" / "run-1").exists()
    assert (tmp_path / "reports").is_dir()


def test_a_report_whose_pdf_cannot_be_printed_says_why(small_warehouse, tmp_path, monkeypatch):
    from warehouse import report as r

    monkeypatch.setattr(r, "chromium", lambda: None)
    done = r.write_report(small_warehouse, tmp_path / "a")
    assert done.pdf is None and "chromium is not installed" in (done.pdf_error or "")
    assert done.html.is_file()

    monkeypatch.setattr(r, "chromium", lambda: shutil.which("false"))  # a browser that fails
    done = r.write_report(small_warehouse, tmp_path / "b")
    assert done.pdf is None and "returned non-zero exit status 1" in (done.pdf_error or "")
    assert not (tmp_path / "b" / "report.pdf").exists()


def test_a_browser_that_cannot_start_leaves_no_profile_and_says_why(
    small_warehouse, tmp_path, monkeypatch
):
    import tempfile

    from warehouse import report as r

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    not_runnable = tmp_path / "chromium"
    not_runnable.write_text("not a program")  # exists, but cannot be executed
    monkeypatch.setattr(r, "chromium", lambda: str(not_runnable))
    done = r.write_report(small_warehouse, tmp_path / "c")
    assert done.pdf is None and "Permission denied" in (done.pdf_error or "")
    assert list((tmp_path / "tmp").iterdir()) == []  # chromium's profile folder removed
