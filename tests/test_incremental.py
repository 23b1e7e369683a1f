"""A night touches what its new rows change: core tables kept, merged by key or rebuilt, and
indicators computed for the periods the changed rows touch, with the results a full rebuild
gives (the whole-pipeline comparison is ``test_pipeline``'s ``--full`` test)."""

from __future__ import annotations

import json

from conftest import CATALOGUE_FILES, make_periods

from transforms import core
from transforms.marts import daily
from transforms.marts.drilldown import compute_drilldowns
from transforms.marts.indicators import compute_indicators, load_catalogue
from warehouse.build import connect
from warehouse.delta import changes, drop_delta

MODELS = {
    "dim_colour.sql": "select * from ref.colour",
    # the latest version of each item, with its colour's name
    "fct_item.sql": """-- incremental: item_id (each row depends on its item's versions only)
select s.item_id, s.size, s.colour_code, c.name as colour
from stg.item as s left join core.dim_colour as c on c.code = s.colour_code
qualify row_number() over (partition by s.item_id order by s.version desc) = 1""",
    # not key-local: a total per colour
    "fct_colour_total.sql": "select colour, sum(size) as size from core.fct_item group by colour",
    "fct_item_big.sql": """-- incremental: item_id
select item_id, size * 10 as size10 from core.fct_item""",
}


def warehouse(tmp_path, name: str):
    folder = tmp_path / "models"
    folder.mkdir(exist_ok=True)
    for file, sql in MODELS.items():
        (folder / file).write_text(sql)
    con = connect(tmp_path / name)
    con.execute("create schema ref; create schema stg; create schema core; create schema meta")
    con.execute(
        "create table ref.colour as select * from (values ('r', 'red'), ('b', 'blue')) t(code, name)"
    )
    con.execute(
        """create table stg.item as
           select 'i' || i as item_id, 1 as version, i as size, case when i % 2 = 0 then 'r' else 'b' end
                  as colour_code, 'r1' as _run_id
           from range(10) t(i)"""
    )
    return con, folder


def tables(con) -> dict[str, list]:
    return {
        t: con.execute(f"select * from core.{t} order by all").fetchall()
        for t in ("dim_colour", "fct_item", "fct_colour_total", "fct_item_big")
    }


def build(con, folder, run_id: str, incremental: bool) -> dict[str, str]:
    return core.build(con, [folder], {}, run_id, incremental)


def test_a_night_keeps_merges_or_rebuilds_each_table_and_matches_a_full_build(tmp_path):
    con, folder = warehouse(tmp_path, "w.duckdb")
    build(con, folder, "r1", incremental=False)
    published = tables(con)
    # night r2: item i3 re-sent bigger and red, a new item i10
    con.execute(
        """insert into stg.item values ('i3', 2, 30, 'r', 'r2'), ('i10', 1, 5, 'b', 'r2')"""
    )
    outcome = build(con, folder, "r2", incremental=True)
    assert outcome == {
        "core.dim_colour": "kept",
        "core.fct_item": "merged",
        "core.fct_item_big": "merged",
        "core.fct_colour_total": "rebuilt",
    }
    night = tables(con)
    # the published rows of the changed keys are kept for the indicators and the audit
    assert con.execute("select * from delta.fct_item_old").fetchall() == [("i3", 3, "b", "blue")]
    assert sorted(con.execute("select * from delta.fct_item_keys").fetchall()) == [
        ("i10",),
        ("i3",),
    ]
    # and their rows as they are now (i3 bigger and red, i10 new), read once for the indicators
    merged_now = "select * from {} where item_id in ('i3', 'i10') order by all"
    assert (
        con.execute(merged_now.format("delta.fct_item_new")).fetchall()
        == con.execute(merged_now.format("core.fct_item")).fetchall()
    )
    assert len(con.execute(merged_now.format("delta.fct_item_new")).fetchall()) == 2
    done = changes(con, "r2")
    assert done["core.fct_item"].changed and done["core.fct_item"].key == "item_id"
    assert not done["core.dim_colour"].changed and done["core.fct_colour_total"].changed

    # a retried run merges again: same tables, and the published rows it saved stay the first ones
    build(con, folder, "r2", incremental=True)
    assert tables(con) == night
    assert con.execute("select * from delta.fct_item_old").fetchall() == [("i3", 3, "b", "blue")]

    build(con, folder, "r3", incremental=False)
    assert tables(con) == night != published

    # a night's row without its key: nothing to merge by, the table is built again
    con.execute("insert into stg.item values (null, 1, 7, 'r', 'r4')")
    outcome = build(con, folder, "r4", incremental=True)
    assert outcome["core.fct_item"] == "rebuilt" and outcome["core.fct_item_big"] == "rebuilt"
    assert (None, 7, "r", "red") in tables(con)["fct_item"]
    assert ("i3", 30, "r", "red") in night["fct_item"]
    drop_delta(con)
    assert changes(con, "r2") == {}


def test_a_merge_keeps_the_rows_of_every_key_the_run_merged_in_any_attempt(tmp_path):
    """``delta.*_new`` is made from the merge's own rows; a key only an earlier attempt of the
    run merged is read back from the table."""
    from transforms.core.incremental import merge
    from warehouse.delta import DELTA_SQL

    con, folder = warehouse(tmp_path, "w.duckdb")
    build(con, folder, "r1", incremental=False)
    con.execute(DELTA_SQL)
    con.execute("insert into stg.item values ('i3', 2, 30, 'r', 'r2'), ('i4', 2, 40, 'r', 'r2')")
    sql = MODELS["fct_item.sql"]
    assert merge(con, "core.fct_item", sql, "item_id", ["select 'i3' as item_id"], {"stg.item"})
    assert merge(con, "core.fct_item", sql, "item_id", ["select 'i4' as item_id"], {"stg.item"})
    new = con.execute("select * from delta.fct_item_new order by all").fetchall()
    assert new == [("i3", 30, "r", "red"), ("i4", 40, "r", "red")]
    assert con.execute("select * from delta.fct_item_old order by all").fetchall() == [
        ("i3", 3, "b", "blue"),
        ("i4", 4, "r", "red"),
    ]
    assert not merge(con, "core.fct_item", sql, "item_id", ["select null as item_id"], {"stg.item"})


def test_a_merge_reads_each_input_narrowed_to_its_keys_once_by_rowid_in_tables_not_views():
    """``rows_of_keys`` gives the rows a filter on the key gives, in a transaction that added
    and removed rows too; ``narrow_inputs`` keeps them once per input (a view, with no
    ``rowid``, filtered on its key), and the model reads them there."""
    import duckdb

    from transforms.core.incremental import (
        drop_narrowed,
        narrow_inputs,
        rows_of_keys,
        substituted,
    )
    from warehouse.build import stored_tables

    con = duckdb.connect()
    con.execute("create schema stg")
    con.execute("create table stg.t as select i, 'k' || (i % 50) as k from range(20000) r(i)")
    con.execute("create view stg.v as select * from stg.t where i % 2 = 0")
    con.execute("create temp table _keys as select 'k3' as k union all select 'k7'")
    con.execute("begin")
    con.execute("insert into stg.t select i, 'k7' from range(30000, 30005) r(i)")
    con.execute("delete from stg.t where i < 1000")
    plain = "select count(*), sum(i) from stg.t where k in (select k from _keys)"
    expected = con.execute(plain).fetchone()
    assert expected == (765, 8114810)
    fetched = con.execute(f"select count(*), sum(i) from {rows_of_keys('stg.t', 'k', '_keys')}")
    assert fetched.fetchone() == expected
    assert "rowid" in rows_of_keys("stg.t", "k", "_keys")
    assert "rowid" not in rows_of_keys("stg.v", "k", "_keys", stored=False)
    assert stored_tables(con) >= {"stg.t"} and "stg.v" not in stored_tables(con)

    queries = narrow_inputs(con, {"stg.t", "stg.v"}, "k", "_keys")
    assert set(queries) == {"stg.t", "stg.v"}
    # the table's key searched once: its rows' rowids kept, the rows fetched where read
    kept = con.execute("select count(*) from _narrow0").fetchone()
    assert kept == (765,) and "_narrow0" in queries["stg.t"]
    assert con.execute("select count(*) from _narrow1").fetchone() == (3,)  # the view's rows
    model = "select count(*), sum(t2.i) from stg.v join stg.t using (i) join stg.t as t2 using (i)"
    sql = substituted(model, queries)
    assert sql.count("_narrow0") == 2 and "stg.v" not in sql  # each read of stg.t narrowed
    assert con.execute(sql).fetchone() == (3, 30000 + 30002 + 30004)
    drop_narrowed(con, queries)
    assert not con.execute(
        "select * from duckdb_tables() where table_name like '_narrow%'"
    ).fetchall()
    con.execute("rollback")


# ---- indicators: the periods the changed rows touch -------------------------------------------

DOSSIER_COLUMNS = (
    "dossier_id varchar, unit_code varchar, received_date date, finished_date date, "
    "is_received boolean, is_online boolean, is_full_process_service boolean, "
    "vneid_authenticated boolean, is_finished boolean, has_e_result boolean, "
    "procedure_code varchar, agency_code varchar"
)
COMMUNE = "31318"


def dossier(i: int, day: str, online: bool = True) -> tuple:
    procedure = f"P{i % 2}"  # two procedures: the drill-down splits the unit's counts
    return (f"D{i}", COMMUNE, day, day, True, online, True, True, True, True, procedure, "A1")


STORED_T02 = """select run_id, _commune, _day, parts from meta.indicator_daily
                where indicator_id = 'T02' order by all"""
DRILLED = """select * exclude (run_id) from mart.indicator_drilldown order by all"""
VALUES = """select indicator_id, period_type, period_start, admin_level, admin_code, geo_view,
                   numerator, denominator, value, status, status_reason
            from mart.indicator_value order by all"""


def marts(con, catalogue, run_id: str, night: dict | None = None) -> None:
    """The values and drill-downs, as ``build_marts`` computes them."""
    compute_indicators(con, catalogue, run_id, changes=night)
    scoped = {r[0] for r in con.execute("select indicator_id from _now_periods").fetchall()}
    compute_drilldowns(con, catalogue, run_id, {}, scoped, night)


def test_a_night_computes_the_periods_its_changed_rows_touch_and_keeps_the_others(
    geo_db, monkeypatch
):
    con = geo_db
    con.execute(
        "insert into audit.run (run_id, base_run_id) values ('run-1', null), ('run-2', 'run-1')"
    )
    read = []  # the rows each partial count was made of (None: the whole table)
    counted = daily.daily_sql
    monkeypatch.setattr(
        daily,
        "daily_sql",
        lambda counts, how, source=None: read.append(source) or counted(counts, how, source),
    )
    make_periods(con, ["2025-01", "2025-02", "2025-03"])
    con.execute(f"create or replace table core.fct_dossier ({DOSSIER_COLUMNS})")
    rows = [dossier(1, "2025-01-10"), dossier(2, "2025-01-12"), dossier(3, "2025-02-03")]
    con.executemany(
        "insert into core.fct_dossier values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
    )
    catalogue = [i for i in load_catalogue(CATALOGUE_FILES) if i.id in ("T02", "T04")]
    marts(con, catalogue, "run-1")

    # night run-2: D2 re-sent, received in March and in person; D4 new in March. The core step
    # merged them: their published rows are in delta.fct_dossier_old, their keys beside.
    con.execute(
        """create schema delta;
           create table delta.change (run_id varchar, table_name varchar, how varchar,
                                      changed boolean, key_column varchar);
           insert into delta.change values ('run-2', 'core.fct_dossier', 'merged', true, 'dossier_id');
           create table delta.fct_dossier_old as select * from core.fct_dossier where dossier_id = 'D2';
           create table delta.fct_dossier_keys as select * from (values ('D2'), ('D4')) t(dossier_id);
           delete from core.fct_dossier where dossier_id = 'D2'"""
    )
    con.executemany(
        "insert into core.fct_dossier values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [dossier(2, "2025-03-05", online=False), dossier(4, "2025-03-20")],
    )
    con.execute(  # the merged keys' rows as they are now
        """create table delta.fct_dossier_new as select * from core.fct_dossier
           where dossier_id in (select dossier_id from delta.fct_dossier_keys)"""
    )
    read.clear()
    table = "select table_oid from duckdb_tables() where table_name = 'indicator_drilldown'"
    published_table = con.execute(table).fetchone()
    february = """select rowid, _commune, _day, parts from meta.indicator_daily
                  where indicator_id = 'T02' and _day = '2025-02-03'"""
    untouched = con.execute(february).fetchall()  # D3's day: no changed row falls on it
    marts(con, catalogue, "run-2", changes(con, "run-2"))
    # the drill-downs were brought up to date in place: February's rows are the published ones
    # (their run), the periods in scope were replaced by the night's
    assert con.execute(table).fetchone() == published_table
    runs = dict(
        con.execute(
            """select strftime(period_end, '%m'), list(distinct run_id) from mart.indicator_drilldown
               where indicator_id = 'T02' and period_type = 'month' group by all"""
        ).fetchall()
    )
    assert runs["02"] == ["run-1"] and runs["03"] == ["run-2"] and runs["01"] == ["run-2"]
    # T02's counts per day were moved by the night's changes (D2 as published out, D2 and D4
    # as they are in), not counted again from the whole table
    assert None not in read and {"delta.fct_dossier_old", "delta.fct_dossier_new"} <= set(read)
    moved = con.execute(STORED_T02).fetchall()
    assert {r[0] for r in moved} == {"run-2"}  # every stored count is of the night's table
    assert con.execute(february).fetchall() == untouched  # the same rows, stamped, not rewritten
    scope = con.execute(
        "select distinct period_type, strftime(period_end, '%m') from _scope where indicator_id = 'T02' order by all"
    ).fetchall()
    # January (D2's old date) and March (its new one, D4's): February is kept as published
    assert ("month", "02") not in scope and {("month", "01"), ("month", "03")} <= set(scope)
    assert ("ytd", "02") in scope  # January to February holds D2's old date
    kept = con.execute(
        """select distinct value_run_id from mart.indicator_value
           where indicator_id = 'T02' and period_type = 'month' and period_start = '2025-02-01'"""
    ).fetchall()
    assert kept == [("run-1",)]
    march = con.execute(
        """select numerator, denominator from mart.indicator_value where indicator_id = 'T02'
           and period_type = 'month' and period_start = '2025-03-01' and admin_level = 'province'"""
    ).fetchone()
    assert march == (1, 2)
    night = con.execute(VALUES).fetchall()
    night_drilled = con.execute(DRILLED).fetchall()
    assert {r[1] for r in night_drilled} == {"procedure", "agency"}

    drop_delta(con)
    read.clear()
    marts(con, catalogue, "run-3")  # everything again, from the same rows
    assert con.execute(VALUES).fetchall() == night
    assert con.execute(DRILLED).fetchall() == night_drilled
    assert None in read  # counted whole: the same partial counts as moved
    assert [r[1:] for r in con.execute(STORED_T02).fetchall()] == [r[1:] for r in moved]


def test_no_model_or_indicator_reads_a_column_declared_as_bookkeeping(small_warehouse, tmp_path):
    """A rebuild that changed only bookkeeping columns leaves the tables built on it as they
    are: that holds only while nothing reads them. Dropped here, every reader still binds."""
    import shutil

    from conftest import MODEL_FOLDERS

    from transforms.core.incremental import bookkeeping
    from transforms.marts.indicators import indicator_sql, shape, table_columns

    copy = tmp_path / "w.duckdb"
    shutil.copyfile(small_warehouse, copy)
    con = connect(copy)
    sql = core.models(MODEL_FOLDERS)
    declared = {name: bookkeeping(text) for name, text in sql.items() if bookkeeping(text)}
    assert {"core.dim_procedure", "core.fct_provision"} <= set(declared)
    for name, columns in declared.items():
        for column in columns:
            con.execute(f"alter table {name} drop column {column}")
    catalogue = load_catalogue(CATALOGUE_FILES)
    lineage = core.lineage(MODEL_FOLDERS)
    for name in declared:
        for reader, reads in lineage.items():
            if name in reads:
                con.execute(f"explain {sql[reader]}")  # a binder error names the column
        for ind in catalogue:
            if name in ind.inputs:
                con.execute(
                    f"explain {indicator_sql(ind, shape(ind, table_columns(con, ind.from_)))}"
                )


# ---- checks: a night checks the rows it staged where that says the same ----------------------


def test_which_staged_suites_a_night_may_check_on_its_own_rows():
    from conftest import all_suites

    from expectations.run import row_local

    suites = all_suites()
    assert row_local(suites["stg_dvc_dossier"])  # single-row rules and the row hash's uniqueness
    assert not row_local(suites["fct_dossier"])  # a row count and shares
    docs = [s for s in suites.values() if s.table == "stg.docs_work_file"]
    assert docs and not all(row_local(s) for s in docs)  # a share (mostly 0.95)


def test_a_night_checks_its_own_rows_of_a_table_that_passed_and_the_whole_of_one_that_failed(
    tmp_path,
):
    import great_expectations as gx

    from expectations.run import night_tables, run_checks
    from expectations.suites import Suite
    from warehouse.build import ensure_schema

    db = tmp_path / "w.duckdb"
    con = connect(db)
    ensure_schema(con)
    con.execute("create table stg.t (x integer, _run_id varchar)")
    # r1 staged a row without x; the rule was added later, so r1's published checks passed
    con.execute("insert into stg.t values (null, 'r1'), (1, 'r1'), (2, 'r2'), (3, 'r2')")
    con.execute(
        """insert into audit.run (run_id, started_at, status) values
               ('r1', now(), 'published'), ('r2', now(), 'building')"""
    )
    con.execute(
        """insert into audit.check_result (run_id, checked_at, suite, table_name, expectation,
                                           severity, success)
           values ('r1', now(), 'stg_t', 'stg.t', 'expect_column_values_to_not_be_null',
                   'critical', true)"""
    )
    suite = Suite("stg_t", "stg.t", [gx.expectations.ExpectColumnValuesToNotBeNull(column="x")])
    assert night_tables(con, [suite], "r1") == {"stg.t"}
    assert night_tables(con, [suite], None) == set()  # a first load or --full: the whole
    con.close()
    (night,) = run_checks(db, [suite], night={"stg.t"})
    assert night.success and night.element_count == 2  # r2's rows
    (whole,) = run_checks(db, [suite])
    assert not whole.success and whole.element_count == 4

    con = connect(db)
    con.execute("update audit.check_result set success = false")  # r1 failed: check it all
    assert night_tables(con, [suite], "r1") == set()
    con.close()


def test_a_night_checks_the_uniqueness_of_a_merged_key_among_the_keys_it_merged(tmp_path):
    import great_expectations as gx

    from expectations.run import merged_tables, run_checks
    from expectations.suites import Suite
    from warehouse.build import ensure_schema
    from warehouse.delta import DELTA_SQL

    db = tmp_path / "w.duckdb"
    con = connect(db)
    ensure_schema(con)
    con.execute(DELTA_SQL)
    con.execute("create schema if not exists core")
    # k2 is the key the night merged, twice (a broken merge); k9's repeat is in rows the night
    # did not touch (impossible after a passed run, planted to show what is grouped)
    con.execute("create table core.t (k varchar)")
    con.execute("insert into core.t values ('k1'), ('k2'), ('k2'), ('k9'), ('k9')")
    con.execute("create table delta.t_keys as select 'k2' as k")
    con.execute(
        """insert into delta.change values ('r2', 'core.t', 'merged', true, 'k'),
                                           ('r2', 'core.u', 'rebuilt', true, null)"""
    )
    con.execute(
        """insert into audit.check_result (run_id, checked_at, suite, table_name, expectation,
                                           severity, success)
           values ('r1', now(), 't', 'core.t', 'expect_column_values_to_be_unique', 'critical',
                   true),
                  ('r1', now(), 'u', 'core.u', 'expect_column_values_to_be_unique', 'critical',
                   true)"""
    )
    assert merged_tables(con, "r1", "r2") == {"core.t": ("k", "delta.t_keys")}  # not rebuilt u
    assert merged_tables(con, None, "r2") == {}  # a first load or --full: the whole table
    con.close()
    suite = Suite("t", "core.t", [gx.expectations.ExpectColumnValuesToBeUnique(column="k")])

    (night,) = run_checks(db, [suite], merged={"core.t": ("k", "delta.t_keys")})
    assert not night.success and night.unexpected_count == 2  # the merged key's two rows
    assert json.loads(night.kwargs) == {"column": "k", "among": "delta.t_keys"}
    (whole,) = run_checks(db, [suite])
    assert not whole.success and whole.unexpected_count == 4  # k2's and k9's

    con = connect(db)
    con.execute("update audit.check_result set success = false where table_name = 'core.t'")
    assert merged_tables(con, "r1", "r2") == {}  # failed last time: checked whole
    con.close()


# ---- audit: a night scans what it wrote -------------------------------------------------------


def test_a_night_scans_the_rows_it_wrote_for_personal_data_in_clear(tmp_path):
    from warehouse.audit import changed_rows, clear_id_problems
    from warehouse.build import ensure_schema

    con, folder = warehouse(tmp_path, "w.duckdb")
    ensure_schema(con)
    con.execute("alter table stg.item add column note varchar")
    build(con, folder, "r1", incremental=False)
    # a clear citizen ID slipped into a row of an earlier, published run (audited then)
    con.execute("update stg.item set note = 'id 093085001234' where item_id = 'i1'")
    assert changed_rows(con, "r2") == {}  # no incremental core step: everything is read
    assert any("stg.item.note" in p for p in clear_id_problems(con))

    con.execute("insert into stg.item values ('i5', 2, 9, 'r', 'r2', 'call 0987654321')")
    build(con, folder, "r2", incremental=True)
    only = changed_rows(con, "r2")
    assert only["stg.item"] == "select * from stg.item where _run_id = 'r2'"
    assert only["core.dim_colour"] is None  # kept: not read
    assert only["core.fct_item"] == "select * from delta.fct_item_new"  # its merged keys' rows
    problems = clear_id_problems(con, only)
    assert [p.split(":")[0] for p in problems] == ["stg.item.note"]  # the night's row only
    assert "1 value(s)" in problems[0]
    # a run id the pipeline made is never read as personal data: a UUID's last group of 12
    # hex can be 12 digits opening with 0, the shape of a citizen ID
    con.execute("update stg.item set note = null")
    con.execute("update stg.item set _run_id = '1b9d6bcd-bbfd-4b2d-9b5d-012345678901'")
    assert clear_id_problems(con) == []


def test_the_tables_a_model_reads_leave_out_its_text_and_comments():
    from transforms.core import tables_read

    sql = """select 'see meta.manifest' as note, x  -- from core.old
             from stg.a /* join ref.codes */ join core.d on 'it''s mart.q' = d.y"""
    assert tables_read(sql) == {"stg.a", "core.d"}


def test_every_key_local_model_reads_only_what_a_night_can_narrow_to_its_keys():
    """A model declared key-local is merged only if every input a night changed gives its keys;
    ``meta.*`` is taken as changed every night. A key-local model reading one would be built
    again whole every night (``core.fct_dossier`` was, once a table's name sat in its error
    message)."""
    from flows import registry
    from transforms.core import lineage, models
    from transforms.core.incremental import model_key

    sql = models(registry.model_folders())
    deps = lineage(registry.model_folders())
    local = {name for name, text in sql.items() if model_key(text)}
    assert "core.fct_dossier" in local
    for name in sorted(local):
        assert all(t.split(".")[0] in ("stg", "core", "ref") for t in deps[name]), (
            name,
            deps[name],
        )
    assert deps["core.fct_dossier"] == {
        "stg.dvc_dossier",
        "core.dim_agency",
        "core.fct_provision",
        "core.dim_procedure",
    }
