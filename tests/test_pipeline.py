"""End to end: the real nightly flow on a real (temporary) Prefect server, on small simulated data."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent
START, END = date(2025, 1, 1), date(2025, 2, 28)


@pytest.fixture(scope="session")
def base_landing(tmp_path_factory):
    from sources.dvc.simulator import simulate

    landing = tmp_path_factory.mktemp("landing")
    simulate(landing, START, END, scale=0.02, seed=7)
    return landing


@pytest.fixture
def home(tmp_path, base_landing, prefect_server, monkeypatch):
    landing = tmp_path / "landing"
    shutil.copytree(base_landing, landing)
    monkeypatch.setenv("CHISO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CHISO_LANDING_URL", str(landing))
    monkeypatch.setenv("CHISO_PII_KEY", "test-key")
    monkeypatch.setenv("CHISO_SOURCES", "dvc")
    # the report's PDF (headless chromium, a second a run) is tested in test_report.py
    from flows import report_artifact

    monkeypatch.setattr(report_artifact, "PDF", False)
    return tmp_path / "home"


def run_nightly():
    from flows.nightly import nightly

    return nightly(return_state=True)


def q(home: Path, sql: str, params=None):
    con = duckdb.connect(str(home / "chiso.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextmanager
def served_docs(project: Path):
    from expectations.datadocs import forget, serve, url_of

    server = serve(project)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield url_of(server)
    finally:
        server.shutdown()
        server.server_close()
        forget(project)


def docs_artifact(state) -> str:
    """The data of the run's "data-docs" artifact (a link artifact is its markdown link)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterKey,
        FlowRunFilter,
        FlowRunFilterId,
    )

    with get_client(sync_client=True) as client:
        (artifact,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["data-docs"])),
            flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=[state.state_details.flow_run_id])
            ),
        )
    return str(artifact.data)


def gx_runs(home: Path) -> set[str]:
    from expectations.gx_project import open_project

    return {
        k.run_id.run_name for k in open_project(home / "gx").validation_results_store.list_keys()
    }


def add_day(home: Path, day: date) -> None:
    """Deliver one more day of extracts into the test's landing zone."""
    from sources.dvc.simulator import simulate

    simulate(Path(os.environ["CHISO_LANDING_URL"]), day, day, scale=0.02, seed=7)


def test_nightly_publishes_scorecard_and_a_second_run_loads_nothing(home):
    state = run_nightly()
    assert state.is_completed(), state.message
    levels = dict(
        q(
            home,
            """select admin_level, count(distinct admin_code) from mart.indicator_value
                              where indicator_id = 'T02' group by 1""",
        )
    )
    assert levels == {"province": 1, "district": 8, "commune": 75}
    card = q(
        home,
        "select indicator_id, admin_level, count(*) from mart.scorecard "
        "where indicator_id between 'T01' and 'T05' group by 1, 2 order by 1, 2",
    )
    assert [(i, lvl, n) for i, lvl, n in card] == [
        (i, lvl, n)
        for i in ["T01", "T02", "T03", "T04", "T05"]
        for lvl, n in [("district", 8), ("province", 1)]
    ]
    province = dict(
        q(
            home,
            "select indicator_id, value from mart.scorecard where admin_level = 'province' "
            "and indicator_id between 'T01' and 'T05'",
        )
    )
    assert all(v is not None and 0 <= v <= 100 for v in province.values()), province
    balance = q(home, "select count(*), count(*) filter (where balanced) from mart.file_balance")
    assert balance[0][0] > 100 and balance[0][0] == balance[0][1]
    before = q(
        home,
        "select (select count(*) from meta.manifest), (select count(*) from stg.dvc_dossier), "
        "(select count(*) from core.fct_dossier), (select count(*) from audit.quarantine)",
    )

    published = (home / "chiso.duckdb").read_bytes()
    second = run_nightly()
    assert second.is_completed()
    # nothing new: nothing rebuilt, checked or copied; the published file is the same file
    assert "nothing new since run" in second.message
    assert (home / "chiso.duckdb").read_bytes() == published
    from flows.bench import task_timings

    tasks = [name for name, _ in task_timings(str(second.state_details.flow_run_id))]
    # it listed the landing zone against the published manifest and stopped: no copy was made
    assert any(t.startswith("look_for_news") for t in tasks)
    assert not [t for t in tasks if t.startswith(("prepare", "extract-", "stage-"))], tasks
    assert not list((home / "build").glob("*.duckdb"))
    after = q(
        home,
        "select (select count(*) from meta.manifest), (select count(*) from stg.dvc_dossier), "
        "(select count(*) from core.fct_dossier), (select count(*) from audit.quarantine)",
    )
    assert after == before
    runs = q(home, "select status, definitions from audit.run order by started_at")
    assert len(runs) == 1 and runs[0][0] == "published" and runs[0][1]
    # the report of what is published (linked on each flow run), written once
    reports = sorted((home / "reports").glob("*/report.html"))
    assert len(reports) == 1 and "Kế hoạch 190" in reports[-1].read_text(encoding="utf-8")


@pytest.mark.slow  # two nightlies, 12-15 s: `make test-slow`
def test_a_night_with_nothing_new_recomputes_when_the_definitions_changed(home, tmp_path):
    assert run_nightly().is_completed()
    override = tmp_path / "quality.yml"
    override.write_text("{}\n", encoding="utf-8")  # an operator's (empty) override file
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHISO_QUALITY", str(override))
        second = run_nightly()
    assert second.is_completed() and "nothing new" not in second.message
    runs = q(home, "select files_loaded from audit.run order by started_at")
    assert [r[0] for r in runs][-1] == 0 and len(runs) == 2


def test_no_clear_citizen_id_anywhere_in_the_warehouse(home, base_landing):
    assert run_nightly().is_completed()
    ids = set()
    for f in sorted(base_landing.rglob("hoso_*.jsonl"))[:10]:
        for line in f.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            ids.add(rec["SoGiayToChuHoSo"])
            ids.add(rec["ChuHoSo"])
    ids.discard(None)
    assert len(ids) > 20
    con = duckdb.connect(str(home / "chiso.duckdb"), read_only=True)
    cols = con.execute("""select table_schema, table_name, column_name from information_schema.columns
                          where data_type = 'VARCHAR' and table_schema not in ('information_schema', 'pg_catalog')""").fetchall()
    con.execute("create temp table ids (v varchar)")
    con.executemany("insert into ids values (?)", [[v] for v in ids])
    for schema, table, column in cols:
        hits = con.execute(
            f'select count(*) from {schema}.{table} t join ids on position(ids.v in t."{column}") > 0'
        ).fetchone()[0]
        assert hits == 0, f"{schema}.{table}.{column} holds personal data in clear"
    con.close()


def test_a_failed_critical_check_blocks_exactly_its_dependent_indicators(home, monkeypatch):
    first = run_nightly()
    assert first.is_completed()
    assert "run `chiso docs`" in docs_artifact(first)  # nobody serves the docs yet: says how
    before = dict(
        q(home, "select indicator_id, value from mart.scorecard where admin_level = 'province'")
    )

    import dataclasses

    import great_expectations as gx

    from flows import registry

    original = registry.SLICES["dvc"]

    def with_impossible_rating_rule(t):
        impossible = gx.expectations.ExpectTableRowCountToBeBetween(
            max_value=0, severity="critical"
        )
        return [
            dataclasses.replace(s, expectations=[*s.expectations, impossible])
            if s.name == "stg_dvc_rating"
            else s
            for s in original.rules(t)
        ]

    monkeypatch.setitem(
        registry.SLICES, "dvc", dataclasses.replace(original, rules=with_impossible_rating_rule)
    )
    add_day(home, date(2025, 3, 1))
    with served_docs(home / "gx") as docs:  # an operator runs `chiso docs` beside the nightly
        state = run_nightly()
    assert state.is_failed() and state.name == "Failed", state
    assert state.message.startswith("blocked: T05"), state.message
    assert docs_artifact(state) == f"[GX Data Docs (this run and the ones before)]({docs})"
    assert len(gx_runs(home)) == 2  # one GX project: both runs in its history and Data Docs
    statuses = dict(
        q(
            home,
            "select indicator_id, any_value(status) from mart.scorecard "
            "where admin_level = 'province' and indicator_id between 'T01' and 'T05' group by 1",
        )
    )
    assert statuses == {"T01": "ok", "T02": "ok", "T03": "ok", "T04": "ok", "T05": "blocked"}
    kept = dict(
        q(home, "select indicator_id, value from mart.scorecard where admin_level = 'province'")
    )
    assert kept["T05"] == before["T05"]
    reason = q(home, "select reason from mart.blocked_indicator where indicator_id = 'T05'")[0][0]
    assert "stg.dvc_rating" in reason and "expect_table_row_count_to_be_between" in reason
    stored = q(
        home, "select count(*) from audit.check_result where not success and severity = 'critical'"
    )
    assert stored[0][0] == 1


def test_bad_rows_are_quarantined_with_reasons_and_rows_balance(home):
    landing = Path(os.environ["CHISO_LANDING_URL"]) / "dvc" / "hoso" / "2025"
    good = (sorted(landing.glob("hoso_*.jsonl"))[5]).read_text(encoding="utf-8").splitlines()
    rows = [json.loads(x) for x in good[:4]]
    rows[0]["KenhThucHien"] = 0
    rows[1]["DonViXuLy"] = "999.99.999.H93"
    rows[2]["NgayNopHoSo"] = "31/02/2025"
    rows[3]["MaHoSo"] = rows[3]["MaHoSo"] + "-X"
    (landing / "hoso_20250301.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
    )
    assert run_nightly().is_completed()
    q_rows = q(
        home,
        "select rule, reason from audit.quarantine where file_name = 'hoso_20250301.jsonl' order by \"row\"",
    )
    assert [r[0] for r in q_rows] == ["code_outside_list", "unknown_agency", "invalid_date"]
    assert "KenhThucHien=0" in q_rows[0][1]
    bal = q(
        home,
        "select rows_read, rows_loaded, rows_quarantined, rows_duplicate from meta.manifest "
        "where name = 'hoso_20250301.jsonl'",
    )
    assert bal == [(4, 1, 3, 0)]


@pytest.mark.slow  # two nightlies, 12-13 s: `make test-slow`
def test_same_file_under_another_name_is_not_loaded_twice(home):
    landing = Path(os.environ["CHISO_LANDING_URL"]) / "dvc" / "hoso" / "2025"
    first = sorted(landing.glob("hoso_*.jsonl"))[3]
    assert run_nightly().is_completed()
    n = q(home, "select count(*) from stg.dvc_dossier")[0][0]
    shutil.copyfile(first, landing / "hoso_20250301.jsonl")
    assert run_nightly().is_completed()
    assert q(home, "select count(*) from stg.dvc_dossier")[0][0] == n
    status = q(
        home,
        "select status, rows_duplicate = rows_read from meta.manifest where name = 'hoso_20250301.jsonl'",
    )
    assert status == [("duplicate", True)]


def _retry_in_place(flow_run_id):
    """What `prefect flow-run retry <id> --entrypoint ...` does for a run without a deployment."""
    from prefect.client.orchestration import get_client
    from prefect.flow_engine import run_flow
    from prefect.states import Scheduled

    from flows.nightly import nightly

    with get_client(sync_client=True) as client:
        client.set_flow_run_state(flow_run_id, Scheduled(message="retry"), force=True)
        flow_run = client.read_flow_run(flow_run_id)
    return run_flow(flow=nightly, flow_run=flow_run, parameters={}, return_type="state")


def _task_states(flow_run_id):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    states: dict[str, list[str]] = {}
    for r in sorted(runs, key=lambda r: r.expected_start_time or r.start_time):
        states.setdefault(r.name.rsplit("-", 1)[0], []).append(r.state.name)
    return states


@pytest.mark.slow  # two nightlies, 12-15 s: `make test-slow`
def test_a_run_failing_before_publish_leaves_the_warehouse_and_its_retry_resumes(home, monkeypatch):
    assert run_nightly().is_completed()
    published = home / "chiso.duckdb"
    before = digest(published)
    n_stg = q(home, "select count(*) from stg.dvc_dossier")[0][0]
    add_day(home, date(2025, 3, 3))

    import warehouse.build

    real_publish = warehouse.build.publish

    def fail_before_publish(*args, **kwargs):
        raise RuntimeError("injected fault before publish")

    monkeypatch.setattr(warehouse.build, "publish", fail_before_publish)
    failed = run_nightly()
    assert failed.is_failed()
    assert digest(published) == before
    flow_run_id = failed.state_details.flow_run_id
    assert list((home / "build").glob(f"chiso-{flow_run_id}.duckdb"))

    monkeypatch.setattr(warehouse.build, "publish", real_publish)
    retried = _retry_in_place(flow_run_id)
    assert retried.is_completed(), retried.message
    states = _task_states(flow_run_id)
    # the retry did not redo the finished steps: their runs came back Cached
    assert states["extract"][-1] == "Cached" and states["stage"][-1] == "Cached", states
    assert states["publish"][-1] == "Completed", states
    assert digest(published) != before
    added = q(home, "select count(*) from stg.dvc_dossier")[0][0] - n_stg
    files = q(
        home, "select sum(rows_loaded) from meta.manifest where name = 'hoso_20250303.jsonl'"
    )[0][0]
    assert added == files > 0  # the new day loaded exactly once
    assert not list((home / "build").glob("*.duckdb"))


@pytest.mark.slow  # two nightlies, 12-15 s: `make test-slow`
def test_a_reader_holding_the_published_file_keeps_working_during_a_publish(home):
    assert run_nightly().is_completed()
    reader = duckdb.connect(str(home / "chiso.duckdb"), read_only=True)
    first = reader.execute("select count(*) from stg.dvc_dossier").fetchone()[0]
    errors, counts, stop = [], [], threading.Event()

    def keep_reading():
        while not stop.is_set():
            try:
                counts.append(
                    reader.cursor().execute("select count(*) from stg.dvc_dossier").fetchone()[0]
                )
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            time.sleep(0.05)

    t = threading.Thread(target=keep_reading)
    t.start()
    add_day(home, date(2025, 3, 3))
    assert run_nightly().is_completed()
    stop.set()
    t.join()
    assert not errors
    assert counts and set(counts) == {first}  # the old snapshot, whole, all along
    reader.close()
    assert (
        q(home, "select count(*) from stg.dvc_dossier")[0][0] > first
    )  # new readers see the new file


@pytest.mark.slow  # two nightlies, 12-13 s: `make test-slow`
def test_a_corrected_resend_loads_and_supersedes_the_quarantined_rows(home):
    landing = Path(os.environ["CHISO_LANDING_URL"]) / "dvc" / "hoso" / "2025"
    rows = [
        json.loads(x)
        for x in sorted(landing.glob("hoso_*.jsonl"))[5]
        .read_text(encoding="utf-8")
        .splitlines()[:2]
    ]
    for r in rows:
        r["MaHoSo"] += "-R"
    bad = [dict(rows[0], KenhThucHien=0), dict(rows[1], TrangThaiHoSo=11)]
    (landing / "hoso_20250301.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in bad) + "\n", encoding="utf-8"
    )
    assert run_nightly().is_completed()
    mine = "from audit.quarantine where file_name = 'hoso_20250301.jsonl' group by 1"
    assert q(home, f"select status, count(*) {mine}") == [("open", 2)]
    (landing / "hoso_20250302.jsonl").write_text(  # the source fixed one record and re-sent it
        json.dumps(rows[0], ensure_ascii=False) + "\n", encoding="utf-8"
    )
    assert run_nightly().is_completed()
    assert sorted(q(home, f"select status, count(*) {mine}")) == [("open", 1), ("superseded", 1)]
    assert q(
        home, "select count(*) from core.fct_dossier where dossier_id = ?", [rows[0]["MaHoSo"]]
    ) == [(1,)]
    summary = dict(
        q(
            home,
            "select status, sum(n_rows) from mart.quarantine_summary where dataset = 'dossier' group by 1",
        )
    )
    assert summary == {"open": 1, "superseded": 1}


@pytest.mark.slow  # three nightlies, ~25 s: `make test-slow`
def test_a_full_rebuild_gives_the_values_the_incremental_nights_gave(home):
    import re

    from flows.nightly import nightly

    landing = Path(os.environ["CHISO_LANDING_URL"])
    later = landing.parent / "later"
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        stamp = re.search(r"(\d{8})", path.name)
        if stamp and stamp.group(1) > "20250131":  # February arrives on a second night
            target = later / path.relative_to(landing)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)
    assert run_nightly().is_completed()
    shutil.copytree(later, landing, dirs_exist_ok=True)
    resent = sorted((landing / "dvc" / "hoso" / "2025").glob("hoso_202501*.jsonl"))[5]
    shutil.copyfile(resent, resent.with_name("hoso_20250301.jsonl"))  # a re-send, another name
    assert run_nightly().is_completed()
    values = """select indicator_id, admin_level, admin_code, unit_valid_from, geo_view,
                       period_type, period_start, numerator, denominator, status
                from mart.indicator_value order by all"""
    staged = "select count(*), count(distinct _row_hash) from stg.dvc_dossier"
    drilled = """select indicator_id, dimension, period_type, period_end, admin_code, geo_view,
                        member_code, numerator, denominator, unit_numerator, gap_rank
                 from mart.indicator_drilldown order by all"""
    facts = "select * from core.fct_dossier order by dossier_id"
    incremental, rows = q(home, values), q(home, staged)
    assert len(incremental) > 100 and rows[0][0] == rows[0][1]
    drills, dossiers = q(home, drilled), q(home, facts)
    # the second night merged the new dossiers and computed only the periods they touch
    assert q(
        home, "select count(*) from information_schema.schemata where schema_name = 'delta'"
    ) == [(0,)]

    full = nightly(full=True, return_state=True)
    assert full.is_completed(), full.message
    assert q(home, values) == incremental
    assert q(home, drilled) == drills
    assert q(home, facts) == dossiers
    assert q(home, staged) == rows
    balance = q(home, "select count(*), count(*) filter (where balanced) from mart.file_balance")
    assert balance[0][0] == balance[0][1]


@pytest.mark.slow  # two nightlies: `make test-slow`
def test_the_nightly_builds_on_the_spare_its_last_publish_left(home, monkeypatch, caplog) -> None:
    from warehouse.spare import RECORD, SPARE, wait_for_spare

    monkeypatch.setenv("CHISO_SPARE_BUILD", "1")
    assert run_nightly().is_completed()
    builds = home / "build"
    assert wait_for_spare(builds, timeout=120)
    spare = builds / SPARE
    assert spare.exists() and (builds / RECORD).exists()
    inode = spare.stat().st_ino
    from flows.nightly import nightly

    second = nightly(full=True, return_state=True)  # a night that builds and publishes again
    assert second.is_completed(), second.message
    # the build it published is the spare, renamed twice (to the build, then over the file)
    assert (home / "chiso.duckdb").stat().st_ino == inode
    # and the run's log says so (the spare's process itself writes no log)
    told = [r.getMessage() for r in caplog.records if r.name == "prefect.task_runs"]
    assert "build file: the copy made after the last publish, taken by a rename" in told
    assert wait_for_spare(builds, timeout=120)
    assert spare.exists() and spare.stat().st_ino != inode
