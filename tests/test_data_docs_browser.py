"""The served Data Docs in a real headless browser: styled, offline, with history and the failure."""

from __future__ import annotations

import os

import duckdb
import great_expectations.expectations as E
import pytest
from docs_browser import STYLED, browser_page, chromium, open_failed_run, served

from expectations.run import run_checks
from expectations.suites import Suite

needs_browser = pytest.mark.skipif(
    chromium() is None and os.environ.get("CI") != "true",
    reason="chromium not installed here (CI installs it: .ci/run)",
)


@needs_browser
def test_served_docs_are_styled_offline_keep_history_and_show_the_failed_check(tmp_path):
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema core")
    con.execute("create table core.t as select range as id, range % 5 as status from range(100)")
    con.close()
    rules = [
        E.ExpectColumnValuesToBeInSet(
            column="status", value_set=[0, 1, 2], severity="critical", description="known status"
        ),
        E.ExpectColumnValuesToBeUnique(column="id", severity="critical"),
    ]
    root = tmp_path / "gx"
    for run in ("nightly-1", "nightly-2"):
        assert [
            r.success for r in run_checks(db, [Suite("t_rules", "core.t", rules)], root, run)
        ] == [
            False,
            True,
        ]

    with served(root) as base, browser_page(base) as (page, visit):
        assert base.startswith("http://127.0.0.1:")
        page.goto(base + "index.html", wait_until="networkidle")
        assert page.eval_on_selector(".pl-5", STYLED) == "48px"  # Bootstrap's CSS took effect
        assert page.evaluate("document.fonts.check('900 16px \"Font Awesome 6 Free\"')")
        assert page.evaluate("typeof jQuery === 'function' && typeof vegaEmbed === 'function'")
        history = page.inner_text("body")
        assert "nightly-1" in history and "nightly-2" in history  # two runs on one site
        page.screenshot(path=str(tmp_path / "index.png"), full_page=True)

        url = open_failed_run(page, base)
        assert "/validations/t_rules/nightly-2/" in url  # the newest failed run, by clicking
        body = page.inner_text("body")
        assert "Failed" in body and "known status" in body and "40 unexpected values" in body
        page.screenshot(path=str(tmp_path / "failed.png"))

    assert visit.failed == []
    assert visit.external == []
    assert sum("/static/vendor/" in u for u in visit.requests) >= 10  # the assets came from here
    assert (tmp_path / "index.png").stat().st_size > 10_000
