"""The warehouse explains itself: every relation and column carries a comment, the catalogue table
every field of an entry, and mart.lineage the graph the quality gate follows."""

from __future__ import annotations

import duckdb
from conftest import CATALOGUE_FILES, lineage

from expectations.gate import upstream
from transforms.describe import catalogue_field_docs, header_comment, schema_comments, undocumented
from transforms.marts.indicators import CATALOGUE_FIELDS, Indicator, load_catalogue


def test_no_published_table_view_or_column_lacks_a_comment(small_warehouse):
    con = duckdb.connect(str(small_warehouse), read_only=True)
    try:
        n_relations, n_columns = con.execute(
            """select (select count(*) from duckdb_tables() where schema_name <> 'main')
                    + (select count(*) from duckdb_views() where not internal and schema_name <> 'main'),
                      (select count(*) from duckdb_columns() where schema_name <> 'main')"""
        ).fetchone()
        assert n_relations > 70 and n_columns > 900
        assert undocumented(con) == []
        comment = dict(
            con.execute(
                """select table_name || '.' || column_name, comment from duckdb_columns()
                   where schema_name in ('stg', 'core', 'mart')"""
            ).fetchall()
        )
    finally:
        con.close()
    # generated from the source's constants: the Vietnamese field and its code list
    assert '"Ngày mở hồ sơ"' in comment["docs_work_file.opened_date"]
    assert "Đang xử lý = open" in comment["docs_work_file.status"]
    assert "HMAC" in comment["dvc_dossier.applicant_hash"]
    # passed through to core: the same text
    assert comment["fct_work_file.opened_date"] == comment["docs_work_file.opened_date"]
    # the catalogue's field docs
    assert "date_column" in comment["indicator_catalogue.date_column"]
    assert (
        "T04 = Procedure results issued electronically" in comment["indicator_value.indicator_id"]
    )


def test_the_catalogue_table_carries_every_field_of_an_entry(small_warehouse):
    con = duckdb.connect(str(small_warehouse), read_only=True)
    try:
        cols = {
            r[0]
            for r in con.execute(
                "select column_name from duckdb_columns() where table_name = 'indicator_catalogue'"
            ).fetchall()
        }
        t04 = con.execute(
            "select date_column, period_join, row_filter, levels, drilldown[1].dimension "
            "from mart.indicator_catalogue where indicator_id = 'T04'"
        ).fetchone()
    finally:
        con.close()
    assert {CATALOGUE_FIELDS.get(f, f) for f in Indicator.model_fields} <= cols
    assert t04 == (
        "finished_date",
        "flow",
        "is_finished",
        ["province", "district", "commune"],
        "procedure",
    )


def test_lineage_is_the_gates_graph_down_to_the_source_datasets(small_warehouse):
    con = duckdb.connect(str(small_warehouse), read_only=True)
    try:
        rows = con.execute(
            "select indicator_id, table_name, source, dataset from mart.lineage"
        ).fetchall()
    finally:
        con.close()
    graph = lineage()
    for ind in load_catalogue(CATALOGUE_FILES):
        reached = set().union(*(upstream(t, graph) for t in ind.inputs))
        assert {t for i, t, _, _ in rows if i == ind.id} == reached, ind.id
    t04 = {(t, s, d) for i, t, s, d in rows if i == "T04"}
    assert ("stg.dvc_dossier", "dvc", "dossier") in t04 and ("source:dvc", "dvc", None) in t04


def test_comments_are_read_from_the_sql_and_schema_files():
    assert (
        header_comment("-- one row per x\n-- and y\nwith a as (select 1)") == "one row per x and y"
    )
    docs = schema_comments(
        "-- Files taken.\ncreate table if not exists meta.f (\n    id varchar, -- the id\n    n int\n);"
    )
    assert docs.relations == {"meta.f": "Files taken."}
    assert docs.columns == {("meta.f", "id"): "the id"}
    fields_ = catalogue_field_docs(
        "Fields:\n  id, name_vi        the row\n  date_column        for flow\n"
        "                     indicators\n```"
    )
    assert fields_ == {"id": "the row", "name_vi": "the row", "date_column": "for flow indicators"}


def test_a_comment_is_written_only_where_it_differs():
    """A night's build is a copy of the published warehouse: its comments are there already,
    and each ``COMMENT ON`` is a catalogue change; only a new or rebuilt table, or new text,
    is written."""
    from transforms.describe import Docs, apply_comments

    con = duckdb.connect()
    con.execute("create schema core; create table core.t (a int, b int)")
    docs = Docs()
    docs.add_relation("core.t", "one row per t")
    docs.add_column("core.t", "a", "the a")
    docs.add_column("*", "b", "any b")
    assert apply_comments(con, docs) == {"relations": 1, "columns": 2}
    assert apply_comments(con, docs) == {"relations": 0, "columns": 0}  # all there
    docs.columns[("core.t", "a")] = "the a, corrected"
    con.execute("create or replace table core.t as select 1 as a, 2 as b")  # rebuilt: none
    assert apply_comments(con, docs) == {"relations": 1, "columns": 2}
    assert undocumented(con) == []
    assert con.execute(
        "select comment from duckdb_columns() where column_name = 'a'"
    ).fetchall() == [("the a, corrected",)]
