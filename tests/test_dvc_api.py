"""The dossier API connector against the local replica of the integration platform (LGSP).

Every fault the replica can produce, one at a time and all together: the
pull ends with exactly the records the server holds, staged once, the same
rows the same data delivered as files gives.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta

import httpx
import pytest
from conftest import SOURCES, staging

from sources.dvc import api as dvc_api
from sources.extract import extract, load_cursor
from sources.http import AuthError, PullError, RetryableStatus, RetryPolicy, retry_after_seconds
from sources.portal.app import Faults
from sources.portal.server import running
from sources.pull import DossierPull, pull_dossiers
from transforms.staging.run import load_reference, stage_source
from warehouse import build as wh

START, END = date(2025, 1, 2), date(2025, 1, 13)
CREDS = {"AppName": "chiso-test", "AccessKey": "ak-123", "SecretKey": "sk-very-secret-value"}
ENV = {
    "CHISO_DVC_API_APP": CREDS["AppName"],
    "CHISO_DVC_API_KEY": CREDS["AccessKey"],
    "CHISO_DVC_API_SECRET": CREDS["SecretKey"],
}
PAGE_SIZE = 25


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    from sources.dvc.simulator import simulate

    root = tmp_path_factory.mktemp("landing")
    simulate(root, START, END, scale=0.03, seed=11)
    return root


@pytest.fixture(scope="module")
def template(landing, tmp_path_factory):
    """A build holding the reference lists and the staged catalogue (what every dossier needs)."""
    tmp = tmp_path_factory.mktemp("template")
    path = wh.prepare_build(tmp / "pub.duckdb", tmp / "template.duckdb")
    con = wh.connect(path)
    load_reference(con)
    extract(con, SOURCES["dvc"], str(landing), tmp / "raw", "r0", skip=("dossier", "rating"))
    stage_source(con, *staging("dvc"), b"k", "r0")
    wh.checkpoint_and_close(con)
    return path


def _build(tmp_path, name, template):
    target = tmp_path / f"{name}.duckdb"
    shutil.copyfile(template, target)
    return wh.connect(target)


STAGED = """select * exclude (_file_id, _row, _run_id) from stg.dvc_dossier order by _row_hash"""


def staged_rows(con) -> list[tuple]:
    return con.execute(STAGED).fetchall()


@pytest.fixture(scope="module")
def from_files(landing, template, tmp_path_factory):
    """What the same data delivered as files stages."""
    tmp = tmp_path_factory.mktemp("files")
    con = _build(tmp, "files", template)
    extract(con, SOURCES["dvc"], str(landing), tmp / "raw", "r1", skip=("rating",))
    stage_source(con, *staging("dvc"), b"k", "r1")
    rows = staged_rows(con)
    con.close()
    return rows


def pull_and_stage(tmp_path, url, template, sleeps=None, con=None, policy=None, timeout=5.0):
    """The catalogue (staged from files in the template), dossiers from the API; then staged."""
    con = con or _build(tmp_path, "api", template)
    how = DossierPull(url, START, END, overlap_days=2, page_size=PAGE_SIZE, timeout=timeout)
    policy = policy or RetryPolicy(attempts=10, sleep=(sleeps if sleeps is not None else []).append)
    summary, pulled = pull_dossiers(
        con, SOURCES["dvc"], how, ENV, tmp_path / "raw", "r1", policy=policy
    )
    stage = stage_source(con, *staging("dvc"), b"k", "r1")
    return con, summary, pulled, stage


def held(app) -> int:
    store = app.state.store
    return sum(len(store.day(d)) for d in store.days if START <= d <= END)


FAULTS = {
    "none": Faults(),
    "expired_tokens": Faults(expire_tokens_after=3),
    "unauthorized": Faults(unauthorized_every=4),
    "rate_limited": Faults(rate_limit_every=3, retry_after=2),
    "server_errors": Faults(server_error_every=4),
    "slow_pages": Faults(slow_every=10, slow_seconds=0.6),
    "cut_mid_body": Faults(cut_every=4),
    "repeated_page": Faults(repeat_every=2),
    "records_change_between_pages": Faults(late_records=4),
    "all_at_once": Faults(
        expire_tokens_after=5,
        unauthorized_every=7,
        rate_limit_every=5,
        server_error_every=6,
        slow_every=11,
        slow_seconds=0.8,
        cut_every=9,
        repeat_every=3,
        late_records=3,
    ),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_the_pull_ends_with_exactly_the_records_the_server_holds(
    fault, landing, template, from_files, tmp_path
):
    with running(landing, CREDS, FAULTS[fault]) as (url, app):
        con, summary, pulled, stage = pull_and_stage(tmp_path, url, template, timeout=0.4)
        served = app.state.replica.log
        expected = held(app)
    rows = staged_rows(con)
    # no loss, no double load: the staged dossier rows are those the files give, each once
    assert rows == from_files
    assert len(rows) == expected
    # every page is in the manifest like a file, and every row of it is accounted for
    pages = con.execute(
        """select count(*), sum(rows_read), sum(rows_loaded), sum(rows_duplicate),
                  bool_and(rows_read = rows_loaded + rows_quarantined + rows_duplicate)
           from meta.manifest where dataset = 'dossier'"""
    ).fetchone()
    assert pages[0] == summary.listed == pulled.pages
    assert pages[1] == pulled.records and pages[2] == expected and pages[4]
    assert pages[3] == pulled.records - expected  # pages read again: their rows counted duplicate
    if fault != "none":
        assert any(r["status"] != 200 or r.get("fault") for r in served) or pulled.restarts
    cursor = dvc_api.Cursor.from_json(load_cursor(con, "dvc", "dossier"))
    assert cursor == dvc_api.Cursor(done_through=END)
    con.close()


def test_a_429_waits_what_retry_after_says(landing, template, tmp_path):
    sleeps: list[float] = []
    with running(landing, CREDS, Faults(rate_limit_every=4, retry_after=2)) as (url, app):
        pull_and_stage(tmp_path, url, template, sleeps=sleeps)
        answered_429 = sum(r["status"] == 429 for r in app.state.replica.log)
    assert answered_429 > 3
    assert sleeps == [2.0] * answered_429  # the policy waited exactly 2 s each time, no jitter


def test_the_retry_policy():
    policy = RetryPolicy(initial=0.5, maximum=8, jitter=0.25, max_retry_after=60)
    limited = RetryableStatus("u", 429, 2.0)
    assert policy.is_retryable(limited) and policy.wait_seconds(1, limited) == 2.0
    assert policy.wait_seconds(3, RetryableStatus("u", 503, 7.5)) == 7.5
    for attempt, floor in [(1, 0.5), (2, 1.0), (3, 2.0), (6, 8.0)]:
        wait = policy.wait_seconds(attempt, RetryableStatus("u", 500, None))
        assert floor <= wait <= min(floor, 8) + 0.25
    assert not policy.is_retryable(RetryableStatus("u", 429, 3600))  # fail rather than stall
    assert policy.is_retryable(httpx.ReadTimeout("slow"))
    assert policy.is_retryable(httpx.RemoteProtocolError("cut"))
    assert not policy.is_retryable(AuthError("403"))
    assert not policy.is_retryable(PullError("404"))
    when = datetime(2025, 1, 1, 0, 0, 10).astimezone()
    assert (
        retry_after_seconds("Wed, 01 Jan 2025 00:00:10 GMT", lambda: when - timedelta(seconds=4))
        == 4
    )
    assert retry_after_seconds("soon") is None


def test_a_token_that_expires_mid_run_is_renewed_without_failing(
    landing, template, from_files, tmp_path
):
    with running(landing, CREDS, Faults(expire_tokens_after=2)) as (url, app):
        con, _, pulled, _ = pull_and_stage(tmp_path, url, template)
        expired = [r for r in app.state.replica.log if r.get("error") == "token_expired"]
    assert pulled.tokens > 3 and len(expired) == pulled.tokens - 1
    assert staged_rows(con) == from_files
    con.close()


def test_a_token_is_renewed_before_it_expires():
    now = [0.0]
    auth = dvc_api.LgspAuth(
        "http://x/token", dvc_api.Credentials("a", "b", "c"), clock=lambda: now[0]
    )
    answer = httpx.Response(
        200,
        json={"access_token": "t1", "expires_in": 300},
        request=httpx.Request("POST", "http://x/token"),
    )
    auth._store(answer)
    assert auth._fresh()
    now[0] = 269.0
    assert auth._fresh()
    now[0] = 271.0  # within the last 10% of its life: renewed before the server refuses it
    assert not auth._fresh()


def test_refused_credentials_fail_at_once_naming_the_variables(landing, template, tmp_path):
    with running(landing, {**CREDS, "SecretKey": "another"}, Faults()) as (url, _app):
        with pytest.raises(AuthError, match="CHISO_DVC_API_SECRET") as err:
            pull_and_stage(tmp_path, url, template)
    assert CREDS["SecretKey"] not in str(err.value)
    with pytest.raises(PullError, match="CHISO_DVC_API_KEY"):
        dvc_api.Credentials.from_env({"CHISO_DVC_API_APP": "x"})
    assert CREDS["SecretKey"] not in repr(dvc_api.Credentials.from_env(ENV))


def test_a_page_that_keeps_failing_keeps_what_was_taken_and_the_next_run_resumes(
    landing, template, from_files, tmp_path
):
    con = _build(tmp_path, "api", template)
    with running(landing, CREDS, Faults(down_after=9)) as (url, app):
        with pytest.raises(RetryableStatus):
            pull_and_stage(
                tmp_path,
                url,
                template,
                con=con,
                policy=RetryPolicy(attempts=3, sleep=lambda s: None),
            )
        kept = con.execute(
            "select count(*) from meta.manifest where dataset = 'dossier'"
        ).fetchone()[0]
        cursor = dvc_api.Cursor.from_json(load_cursor(con, "dvc", "dossier"))
        assert kept == 8  # the eight pages answered before the outage
        assert cursor.day is not None and cursor.next_page > 1 or cursor.done_through

        app.state.replica.faults = Faults()  # the platform is back
        app.state.replica.log.clear()
        pull_and_stage(tmp_path, url, template, con=con)
        first = next(r for r in app.state.replica.log if r["path"].endswith("/hoso"))
    resumed_day = cursor.day or cursor.done_through + timedelta(days=1)
    assert first["params"]["fromDate"] == resumed_day.strftime("%Y%m%d000000")
    assert first["params"]["page"] == str(cursor.next_page if cursor.day else 1)
    assert staged_rows(con) == from_files
    con.close()


def test_the_next_run_reads_the_overlap_again_and_loads_nothing_twice(
    landing, template, from_files, tmp_path
):
    with running(landing, CREDS, Faults()) as (url, app):
        con, first, _, _ = pull_and_stage(tmp_path, url, template)
        app.state.replica.log.clear()
        _, second, pulled, stage = pull_and_stage(tmp_path, url, template, con=con)
        days = {
            r["params"]["fromDate"][:8]
            for r in app.state.replica.log
            if r["path"].endswith("/hoso")
        }
    assert days == {f"{END - timedelta(days=1):%Y%m%d}", f"{END:%Y%m%d}"}  # the two-day overlap
    assert second.taken == 0 and stage.rows_loaded == 0  # same bytes: recognised, not taken again
    assert staged_rows(con) == from_files
    con.close()


def test_no_credential_or_token_is_kept_anywhere(landing, template, tmp_path):
    with running(landing, CREDS, Faults(expire_tokens_after=4)) as (url, app):
        con, *_ = pull_and_stage(tmp_path, url, template)
        tokens = list(app.state.replica.tokens)
    secrets = [CREDS["SecretKey"], CREDS["AccessKey"], *tokens]
    assert len(tokens) > 1
    for path in (tmp_path / "raw").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not [s for s in secrets if s.encode() in data], path
    sidecar = next((tmp_path / "raw" / "dvc" / "dossier").glob("*.request.json"))
    record = json.loads(sidecar.read_text())
    assert (
        record["params"]["page"] and record["sha256"] and "Authorization" not in sidecar.read_text()
    )
    for schema, table in con.execute(
        "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'"
    ).fetchall():
        text = repr(con.execute(f'select * from "{schema}"."{table}"').fetchall())
        assert not [s for s in secrets if s in text], f"{schema}.{table}"
    con.close()


def test_small_pages_share_a_staging_batch_and_large_files_do_not():
    from transforms.staging import run

    pages = [(f"p{i}",) for i in range(900)]
    sizes = {f"p{i}": 1_500_000 for i in range(900)}  # a 1,000-record page
    per = run.BATCH_BYTES // 1_500_000
    assert 300 < per < run.BATCH_FILES
    grouped = run.batches(pages, sizes)
    assert [len(b) for b in grouped] == [per, per, 900 - 2 * per]
    days = [(f"d{i}",) for i in range(100)]
    grouped = run.batches(days, {f"d{i}": 8_000_000 for i in range(100)})  # a day at scale 2
    assert [len(b) for b in grouped] == [67, 33]
    tiny = [(f"t{i}",) for i in range(900)]
    assert [len(b) for b in run.batches(tiny, {f"t{i}": 10 for i in range(900)})] == [400, 400, 100]
    assert run.batches([("big",)], {"big": 10**9}) == [[("big",)]]


def test_denser_formats_are_staged_in_smaller_batches():
    from transforms.staging import run

    assert run.batch_bytes("hoso/**/hoso_*.jsonl") == run.BATCH_BYTES
    assert run.batch_bytes("danhgia/**/danhgia_*.csv") == run.DENSE_BATCH_BYTES < run.BATCH_BYTES
    days = [(f"d{i}",) for i in range(365)]
    sizes = {f"d{i}": 300_000 for i in range(365)}  # a year of ratings at scale 8: 110 MB
    grouped = run.batches(days, sizes, run.DENSE_BATCH_BYTES)
    assert [len(b) for b in grouped] == [223, 142]
