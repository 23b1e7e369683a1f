"""A locked publish: of two runs publishing at once exactly one wins, the other is told, nothing is
silently overwritten; readers in a long-lived process see the latest publish through
``connect_published``."""

from __future__ import annotations

import multiprocessing as mp
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from warehouse import build as wh

PAIRS = 30


def make_warehouse(path: Path, runs: list[str]) -> Path:
    """A warehouse file whose published runs are ``runs`` (the last one is the latest)."""
    con = wh.connect(path)
    con.execute(  # the one table publishing reads (the whole schema makes 90 files slow to create)
        """create schema if not exists audit; create table if not exists audit.run (
               run_id varchar primary key, started_at timestamp, finished_at timestamp,
               status varchar)"""
    )
    start = datetime(2025, 1, 1)
    for i, run in enumerate(runs):
        con.execute(
            "insert into audit.run (run_id, started_at, finished_at, status) values (?, ?, ?, ?)",
            [run, start + timedelta(hours=i), start + timedelta(hours=i, minutes=5), "published"],
        )
    wh.checkpoint_and_close(con)
    return path


def publisher(name: str, root: str, barrier, results) -> None:  # noqa: ANN001 - mp objects
    """One nightly's publish step, in its own process, for every round."""
    for i in range(PAIRS):
        folder = Path(root) / str(i)
        barrier.wait()  # both publishers of the round start together
        try:
            wh.publish(folder / f"build-{name}.duckdb", folder / "chiso.duckdb", f"base-{i}")
            results.put((i, name, "published"))
        except wh.PublishConflict:
            results.put((i, name, "conflict"))
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results.put((i, name, repr(exc)))


def test_30_simultaneous_publisher_pairs_never_silently_overwrite(tmp_path):
    for i in range(PAIRS):
        folder = tmp_path / str(i)
        folder.mkdir()
        make_warehouse(folder / "chiso.duckdb", [f"base-{i}"])
        for name in ("a", "b"):  # two runs built on the same published file
            make_warehouse(folder / f"build-{name}.duckdb", [f"base-{i}", f"{name}-{i}"])
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    workers = [
        ctx.Process(target=publisher, args=(name, str(tmp_path), barrier, results))
        for name in ("a", "b")
    ]
    for w in workers:
        w.start()
    outcomes: dict[int, dict[str, str]] = {}
    for _ in range(2 * PAIRS):
        i, name, outcome = results.get(timeout=120)
        outcomes.setdefault(i, {})[name] = outcome
    for w in workers:
        w.join(timeout=30)
    both_published = [i for i, o in outcomes.items() if set(o.values()) == {"published"}]
    assert both_published == []  # 0 silent overwrites
    for i, o in sorted(outcomes.items()):
        assert sorted(o.values()) == ["conflict", "published"], (i, o)
        (winner,) = [name for name, outcome in o.items() if outcome == "published"]
        folder = tmp_path / str(i)
        assert wh.published_run_id(folder / "chiso.duckdb") == f"{winner}-{i}"
        loser = "b" if winner == "a" else "a"
        assert (folder / f"build-{loser}.duckdb").exists()  # kept for its run to rebuild from


def test_a_publisher_waits_for_the_lock_then_says_who_holds_it(tmp_path):
    published = make_warehouse(tmp_path / "chiso.duckdb", ["base"])
    build = make_warehouse(tmp_path / "build.duckdb", ["base", "next"])
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600); "
            "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(30)",
            str(published) + ".lock",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(wh.PublishBusy, match="another run has been publishing"):
            wh.publish(build, published, "base", wait=1.0)
        assert time.monotonic() - started >= 1.0
        assert build.exists() and wh.published_run_id(published) == "base"
    finally:
        holder.kill()  # a killed holder releases the lock
        holder.wait()
    assert wh.publish(build, published, "base", wait=5.0) == published
    assert wh.published_run_id(published) == "next"


def test_a_conflict_is_a_publish_error_that_names_both_runs(tmp_path):
    published = make_warehouse(tmp_path / "chiso.duckdb", ["base", "other"])
    build = make_warehouse(tmp_path / "build.duckdb", ["base", "mine"])
    with pytest.raises(wh.PublishError, match="built on base, now other"):
        wh.publish(build, published, "base")
    assert wh.published_run_id(published) == "other" and build.exists()


def test_connect_published_sees_every_publish_while_an_old_connection_is_held(tmp_path):
    published = make_warehouse(tmp_path / "chiso.duckdb", ["first"])
    held = duckdb.connect(str(published), read_only=True)  # a notebook's open connection
    query = "select max(run_id) from audit.run"
    assert held.execute(query).fetchall() == [("first",)]
    wh.publish(make_warehouse(tmp_path / "b1.duckdb", ["first", "second"]), published, "first")

    plain = duckdb.connect(str(published), read_only=True)
    assert plain.execute(query).fetchall() == [("first",)]  # DuckDB's per-process instance cache
    plain.close()
    fresh = wh.connect_published(published)
    assert fresh.execute(query).fetchall() == [("second",)]
    assert fresh.execute("select count(*) from audit.run").fetchall() == [(2,)]
    wh.publish(
        make_warehouse(tmp_path / "b2.duckdb", ["first", "second", "third"]), published, "second"
    )
    assert fresh.execute(query).fetchall() == [("second",)]  # a connection keeps its snapshot
    newer = wh.connect_published(published)
    assert newer.execute(query).fetchall() == [("third",)]
    assert held.execute(query).fetchall() == [("first",)]
    for con in (held, fresh, newer):
        con.close()
    with pytest.raises(duckdb.Error):
        wh.connect_published(published).execute("create table audit.x (a int)")  # read-only


@pytest.mark.parametrize("race", ["won", "lost"])
def test_the_report_is_written_with_the_publish_and_goes_with_a_build_not_published(
    small_warehouse, tmp_path, monkeypatch, race
):
    """``publish`` writes the report of its build before the replace (chromium prints the PDF
    meanwhile): the report of a published run is there, that of a build another run's publish
    made stale is not."""
    import flows.nightly as n
    from flows import report_artifact
    from flows.settings import load_settings

    monkeypatch.setenv("CHISO_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(report_artifact, "PDF", False)
    monkeypatch.setattr(n, "audit_problems", lambda con, run_id=None: [])
    settings = load_settings()
    build = tmp_path / "build.duckdb"
    shutil.copy(small_warehouse, build)

    def publish_build(build_path, published, base):
        if race == "lost":
            raise n.StaleBuild("another run published while this one was building")
        return published

    monkeypatch.setattr(n, "publish_build", publish_build)
    folder = settings.home / "reports" / "run-2"
    if race == "lost":
        with pytest.raises(n.StaleBuild):
            n.publish.fn(settings, str(build), None, "run-2", {}, "definitions")
        assert not folder.exists()
        return
    done = n.publish.fn(settings, str(build), None, "run-2", {}, "definitions")
    assert done["report"]["html"] == str(folder / "report.html")
    assert "Kế hoạch 190" in (folder / "report.html").read_text(encoding="utf-8")


def test_the_replaced_warehouse_is_removed_beside_the_run_and_no_reader_loses_it(tmp_path):
    """Publishing links the old file aside and removes it in a thread (freeing gigabytes took a
    third of a second of the publish); a reader holding the old file keeps its snapshot."""
    published = make_warehouse(tmp_path / "chiso.duckdb", ["run-1"])
    build = tmp_path / "build" / "chiso-run-2.duckdb"
    build.parent.mkdir()
    make_warehouse(build, ["run-1", "run-2"])
    reader = wh.connect_published(published)
    aside = build.with_suffix(".replaced")
    handed = []
    original = wh.remove_in_background
    wh.remove_in_background = handed.append
    try:
        wh.publish(build, published, "run-1")
    finally:
        wh.remove_in_background = original
    assert handed == [aside] and wh.published_run_id(aside) == "run-1"  # the old one, aside
    original(aside)
    wh.removals_done()
    assert not aside.exists() and not build.exists()
    assert wh.published_run_id(published) == "run-2"
    assert reader.execute("select max(run_id) from audit.run").fetchone() == ("run-1",)
    reader.close()


def test_a_replace_that_fails_leaves_no_second_name(tmp_path, monkeypatch):
    published = make_warehouse(tmp_path / "chiso.duckdb", ["run-1"])
    build = tmp_path / "chiso-run-2.duckdb"
    make_warehouse(build, ["run-1", "run-2"])

    def refuse(*args):
        raise OSError("read-only file system")

    monkeypatch.setattr(wh.os, "replace", refuse)
    with pytest.raises(OSError, match="read-only"):
        wh.publish(build, published, "run-1")
    assert not build.with_suffix(".replaced").exists()
    assert wh.published_run_id(published) == "run-1"


def test_a_night_keeps_its_deleted_rows_and_the_build_vacuums_them_once_they_are_many(tmp_path):
    path = tmp_path / "w.duckdb"
    size = 5 * wh.ROW_GROUP_ROWS  # five full row groups
    with wh.session(path) as con:
        con.execute("create schema core")
        con.execute(
            f"""create table core.fct as select range as id, 'd' || range as code
                from range({size})"""
        )
    # a night's merge by key: of the ``n`` latest rows, every other one is computed again
    latest = """(select id from (select id from core.fct order by id desc limit {n})
                 where id % 2 = 0)"""
    added = """select (select max(id) from core.fct) + range + 1 as id, 'n' || range as code
               from range({n} // 2)"""

    def night(n: int) -> list[str]:
        """A night's merge of ``n`` // 2 keys, then its publish (``compact`` in the build's last
        session)."""
        with wh.session(path) as con:
            con.execute(f"create temp table new as {added.format(n=n)}")
            con.execute(f"delete from core.fct where id in {latest.format(n=n)}")
            con.execute("insert into core.fct select * from new")
        with wh.session(path) as con:
            return wh.compact(con)

    def state(sql: str = "select * from core.fct") -> tuple[dict, tuple]:
        con = wh.connect(path)
        try:
            return wh.dead_rows(con), con.execute(
                f"select count(*), sum(hash(id, code)) from ({sql})"
            ).fetchone()
        finally:
            con.close()

    # a small night: its deleted rows stay (vacuuming them would rewrite the last row groups)
    assert night(60_000) == []
    left, (rows, _) = state()
    assert rows == size
    assert left == {"core.fct": (size + 30_000, size)}
    # deleted rows past a row group and a tenth of the table: vacuumed, the rows unchanged
    _, expected = state(
        f"""select * from core.fct where id not in {latest.format(n=400_000)}
            union all {added.format(n=400_000)}"""
    )
    assert night(400_000) == ["core.fct"]
    left, checksum = state()
    stored, live = left.get("core.fct", (size, size))
    assert stored - live < wh.ROW_GROUP_ROWS  # 230k deleted rows before
    assert checksum == expected


def test_a_steps_cache_key_reads_the_build_beside_an_open_writer_and_never_makes_one(tmp_path):
    """The indicators' cache key is read while the checks beside them hold the build open
    (``flows.nightly``): ``read_state`` joins the process's database instead of asking DuckDB
    for a second, read-only configuration of the file (refused), reads what was committed, and
    does not create a build that is missing."""

    from warehouse.build import session
    from warehouse.state import read_state

    build = tmp_path / "build.duckdb"
    with pytest.raises(FileNotFoundError):
        read_state(build, lambda con: 0)
    assert not build.exists()
    with session(build) as con:
        con.execute("create table t as select 1 as x")

    def count(con: duckdb.DuckDBPyConnection) -> int:
        return con.execute("select count(*) from t").fetchall()[0][0]

    with session(build, checkpoint=False) as con:
        con.execute("insert into t values (2)")
        with pytest.raises(duckdb.ConnectionException, match="different configuration"):
            duckdb.connect(str(build), read_only=True)  # what read_state did before
        assert read_state(build, count) == 1  # the committed row, not the open transaction's
    assert read_state(build, count) == 2


def test_the_audit_counts_personal_shapes_alike_by_value_or_by_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A big table's few-valued columns are tested value by value, the others row by row; the
    counts, and so the refusal, are the same either way."""
    from warehouse import audit

    con = duckdb.connect()
    con.execute("create schema core")
    con.execute(
        """create table core.fct_big as
           select 'D-' || i as dossier_id,
                  case when i % 50000 = 7 then '0912345678' else 'P' || (i % 40) end as code,
                  case when i = 123 then '012345678901' else null end as note
           from range(300000) as t(i)"""
    )
    columns = ["dossier_id", "code", "note"]
    assert audit.few_valued(con, "core.fct_big", columns) == {"code", "note"}
    assert audit.few_valued(con, "core.fct_big", columns, from_rows=10**9) == set()
    by_value = audit.clear_id_problems(con)
    monkeypatch.setattr(audit, "few_valued", lambda *args, **kwargs: set())
    by_row = audit.clear_id_problems(con)
    assert (
        by_value
        == by_row
        == [
            "core.fct_big.code: 6 value(s) shaped like a citizen ID, phone number or e-mail address",
            "core.fct_big.note: 1 value(s) shaped like a citizen ID, phone number or e-mail address",
        ]
    )
