"""`chiso sql`: read-only SQL on the published file, one statement or a prompt."""

from __future__ import annotations

import io

import duckdb
import pytest

from flows.cli import main
from warehouse.query import lines, open_read_only, repl, run_query


def test_one_query_prints_a_table_or_csv_and_the_file_stays_read_only(small_warehouse):
    con = open_read_only(small_warehouse)
    try:
        out = io.StringIO()
        run_query(con, "select unit_name from core.dim_unit where unit_code = '93'", out)
        assert "Tỉnh Hậu Giang" in out.getvalue()
        out = io.StringIO()
        assert (
            run_query(con, "select indicator_id from mart.indicator_catalogue", out, as_csv=True)
            > 20
        )
        assert out.getvalue().splitlines()[:2] == ["indicator_id", "R01"]
        with pytest.raises(duckdb.Error, match="read-only"):
            run_query(con, "create table mart.x as select 1", io.StringIO())
    finally:
        con.close()


def test_the_prompt_reads_statements_to_the_semicolon_and_survives_errors(small_warehouse):
    con = open_read_only(small_warehouse)
    out = io.StringIO()
    try:
        code = repl(
            con,
            lines(
                [
                    "select count(*) as n",
                    "from mart.scorecard;",
                    "select nope;",
                    ".schema mart.lineage",
                    ".quit",
                ]
            ),
            out,
        )
    finally:
        con.close()
    text = out.getvalue()
    assert code == 0
    assert "│ n " in text or " n " in text
    assert "error: Binder Error" in text
    assert "landing_glob" in text and "Where the dataset's files land" in text


def test_cli_sql_on_the_published_file(small_warehouse, monkeypatch, capsys):
    home = small_warehouse.parent
    monkeypatch.setenv("CHISO_HOME", str(home))
    assert main(["sql", "--csv", "select count(*) as n from mart.lineage"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "n"
    assert main(["sql", "select nope"]) == 1
