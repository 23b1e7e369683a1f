"""What an operator reads: targets as symbols, checks in plain words with units, attention."""

from __future__ import annotations

import json

from warehouse.run_report import (
    SourceOutcome,
    attention,
    observed_text,
    plain_check,
    quality_markdown,
    target_text,
)


def test_targets_read_as_symbols_and_none_starts_a_markdown_quotation():
    assert target_text(">=", 95, "%") == "≥ 95 %"
    assert target_text("<=", 17) == "≤ 17"
    assert target_text(">", 0) == "&gt; 0"  # renders as "> 0", never as a blockquote
    assert target_text(None, None) == "–"


def test_checks_without_a_description_are_said_in_plain_words():
    assert plain_check("expect_column_values_to_not_be_null", "unit_code", "{}") == (
        "unit_code is filled in (every row)"
    )
    assert plain_check(
        "expect_column_values_to_not_be_null", "due_at", json.dumps({"mostly": 0.8})
    ) == ("due_at is filled in (at least 80% of rows)")
    assert plain_check(
        "expect_table_row_count_to_be_between", None, json.dumps({"min_value": 1})
    ) == ("the table has ≥ 1 rows")
    assert plain_check(
        "expect_compound_columns_to_be_unique",
        None,
        json.dumps({"column_list": ["agency_code", "procedure_code"]}),
    ) == ("no two rows have the same agency_code + procedure_code")


def test_what_was_found_has_its_unit():
    assert observed_text({"unexpected_count": 3, "element_count": 1200}) == (
        "3 of 1,200 rows break it (0.25%)"
    )
    assert observed_text(
        {"expectation": "expect_table_row_count_to_be_between", "observed_value": "0"}
    ) == ("0 rows")
    assert observed_text({"exception": "no such table"}).startswith("could not be evaluated")


def _outcome(**kw):
    base = dict(
        source="dvc",
        listed=10,
        taken=2,
        duplicates=0,
        files=2,
        unreadable=[],
        rows_read=1000,
        rows_loaded=990,
        rows_quarantined=10,
        rows_duplicate=0,
    )
    return SourceOutcome(**{**base, **kw})


def test_a_run_needs_attention_for_unreadable_files_or_a_high_quarantine():
    assert attention([_outcome()], 0, 0.05) == []
    bad = _outcome(unreadable=["hoso_20250104.jsonl, line 4, field TaiLieuNop: not JSON"])
    assert attention([bad], 0, 0.05) == [
        "1 unreadable file(s): hoso_20250104.jsonl, line 4, field TaiLieuNop: not JSON"
    ]
    high = _outcome(rows_loaded=900, rows_quarantined=100)
    assert attention([high], 0, 0.05) == ["dvc quarantined 100 of 1,000 rows (10.0% > 5.0%)"]
    line = bad.line()
    assert line.startswith("dvc: files listed 10, taken 2, duplicate 0, unreadable 1; rows read")


def test_the_quality_artifact_uses_descriptions_and_escapes_quotations():
    failed = {
        "severity": "critical",
        "table": "core.delivery_districts_dvc",
        "expectation": "expect_column_values_to_be_between",
        "column": "n_rows",
        "kwargs": json.dumps({"column": "n_rows", "min_value": 1}),
        "description": "every district appears in this run's deliveries",
        "unexpected_count": 1,
        "element_count": 8,
        "observed_value": None,
        "exception": None,
    }
    text = quality_markdown([_outcome()], {"checks": 40, "failed": [failed]}, {"T01": "> x"})
    assert "every district appears in this run's deliveries" in text
    assert "1 of 8 rows break it (12.50%)" in text
    assert "expect_column_values_to_be_between" not in text
    assert "&gt; x" in text and "\n>" not in text
