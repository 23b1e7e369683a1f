"""The run's Data Docs open in a real headless browser and show the failed checks."""

from __future__ import annotations

import os

import duckdb
import great_expectations as gx
import pytest

from expectations.docs_browser import chromium, rendered_text
from expectations.gx_duckdb import validate_tables

needs_browser = pytest.mark.skipif(
    chromium() is None and os.environ.get("CI") != "true",
    reason="chromium not installed here (CI installs it: .ci/run)",
)


@needs_browser
def test_data_docs_page_shows_the_failed_check_in_a_browser(tmp_path):
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    con.execute(
        "create schema core; create table core.t as select range as id, range % 5 as status from range(100)"
    )
    con.close()
    suites = {
        "t_rules": (
            "core.t",
            [
                gx.expectations.ExpectColumnValuesToBeInSet(
                    column="status", value_set=[0, 1, 2], severity="critical"
                ),
                gx.expectations.ExpectColumnValuesToBeUnique(column="id", severity="critical"),
            ],
        )
    }
    results = validate_tables(db, suites, tmp_path / "docs")
    assert [r.success for r in results] == [False, True]
    index = tmp_path / "docs" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    text = rendered_text(index, tmp_path / "shot.png")
    assert "expect_column_values_to_be_in_set" in text
    assert "core.t" in text or "t_rules" in text
    assert (tmp_path / "shot.png").stat().st_size > 10_000
