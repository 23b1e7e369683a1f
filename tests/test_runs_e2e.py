"""End to end, as an operator's worst week goes: killed runs, retries, leftovers, and what the data home
holds afterwards (no personal data outside ``raw/``, nothing readable by others, JSON task results).

The real nightly flow on a real (temporary) Prefect server, on small simulated landings.
"""

from __future__ import annotations

import codecs
import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest
from conftest import SOURCES, simulate_source

from sources.base import read_csv_text
from warehouse.housekeeping import readable_by_others

ROOT = Path(__file__).resolve().parent.parent
KILL = ROOT / "tests" / "entrypoints" / "nightly_killed_at.py"


def environment(home: Path, landing: Path, sources: str, key: bool = True) -> dict[str, str]:
    env = {
        "CHISO_HOME": str(home),
        "CHISO_LANDING_URL": str(landing),
        "CHISO_SOURCES": sources,
    }
    if key:
        env["CHISO_PII_KEY"] = "test-key"
    return env


def run_nightly(env: dict[str, str], storage: Path | None = None):  # noqa: ANN201 - a state
    from prefect.settings import PREFECT_RESULTS_LOCAL_STORAGE_PATH, temporary_settings

    from flows.nightly import nightly

    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        if "CHISO_PII_KEY" not in env:
            mp.delenv("CHISO_PII_KEY", raising=False)
        mp.delenv("CHISO_TEST_FAULT", raising=False)
        if storage is None:
            return nightly(return_state=True)
        with temporary_settings(updates={PREFECT_RESULTS_LOCAL_STORAGE_PATH: storage}):
            return nightly(return_state=True)


def subprocess_env(env: dict[str, str], api: str | None) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith(("CHISO_", "PREFECT_"))}
    out.update(env)
    out["DO_NOT_TRACK"] = "1"
    if api:
        out["PREFECT_API_URL"] = api
    return out


def leftovers(home: Path) -> list[str]:
    """Build copies, lock files and half-written archive files: what a dead run leaves behind.
    The next night's copy a publish leaves (``warehouse/spare.py``) is not one: once it is
    done, its file, record and lock are the only others there."""
    from warehouse.spare import LOCK, RECORD, SPARE, wait_for_spare

    assert wait_for_spare(home / "build", timeout=120)
    found = [
        p for p in (home / "build").glob("*") if p.is_file() and p.name not in (SPARE, RECORD, LOCK)
    ]
    found += [p for p in (home / "raw").rglob("*.part")]
    return sorted(str(p.relative_to(home)) for p in found)


# --- kills and retries ---------------------------------------------------------------------------

START, END, NEW_DAY = date(2025, 1, 1), date(2025, 1, 31), date(2025, 2, 3)
VOLATILE = re.compile(r"(^|_)(run_id|run|at|path|url)$|_at$|^superseded_by_run$|^kwargs$")


def snapshot(path: Path) -> dict[str, list[tuple]]:
    """Every stored table's rows, sorted, without the columns that name a run, a time or a path."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            """select table_schema, table_name from information_schema.tables
               where table_type = 'BASE TABLE' order by 1, 2"""
        ).fetchall()
        out = {}
        for schema, table in tables:
            if (schema, table) == ("meta", "build_generation"):
                continue  # which physical build this was: new for every build, by design
            columns = con.execute(
                """select column_name, data_type from information_schema.columns
                   where table_schema = ? and table_name = ? order by ordinal_position""",
                [schema, table],
            ).fetchall()
            kept = [
                f'"{c}"'
                for c, t in columns
                if not VOLATILE.search(c) and not t.startswith("TIMESTAMP")
            ]
            if schema == "audit" and table in ("run", "check_result"):
                kept = [k for k in kept if k not in ('"observed_value"',)]
            rows = con.execute(f'select {", ".join(kept)} from "{schema}"."{table}"').fetchall()
            out[f"{schema}.{table}"] = sorted(rows, key=repr)
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory, prefect_server) -> dict:
    """A landing of January, a home that published it, then one more day delivered; and the
    warehouse an uninterrupted run on that day gives (the reference every interrupted night meets)."""
    root = tmp_path_factory.mktemp("crash")
    landing = root / "landing"
    simulate_source("dvc", landing, START, END, scale=0.02, seed=7)
    home = root / "home"
    env = environment(home, landing, "dvc")
    assert run_nightly(env).is_completed()
    simulate_source("dvc", landing, NEW_DAY, NEW_DAY, scale=0.02, seed=7)
    reference_home = root / "reference"
    shutil.copytree(home, reference_home)
    assert run_nightly(environment(reference_home, landing, "dvc")).is_completed()
    return {
        "landing": landing,
        "home": home,
        "reference": snapshot(reference_home / "chiso.duckdb"),
        "reference_run": _last_run(reference_home),
    }


def _last_run(home: Path) -> str:
    con = duckdb.connect(str(home / "chiso.duckdb"), read_only=True)
    try:
        return con.execute(
            "select run_id from audit.run order by started_at desc limit 1"
        ).fetchall()[0][0]
    finally:
        con.close()


def digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def kill_at(boundary: str, home: Path, landing: Path, api: str) -> str:
    """Run the nightly in its own process and SIGKILL it at ``boundary``; return the flow run id."""
    env = subprocess_env(environment(home, landing, "dvc"), api)
    proc = subprocess.run(
        [sys.executable, str(KILL), boundary],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -9, proc.stdout[-2000:] + proc.stderr[-3000:]
    (lock,) = (home / "build").glob("chiso-*.lock")  # the killed run's: nobody removed it
    return lock.name.removeprefix("chiso-").removesuffix(".lock")


def flow_run_state(run_id: str) -> str:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(run_id).state.type.value


def interrupted_home(template: dict, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(template["home"], home)
    return home


@pytest.mark.slow  # three nightlies, ~40 s: `make test-slow`
def test_a_kill_followed_by_a_retry_publishes_as_an_uninterrupted_run(
    template, tmp_path, prefect_server
):
    home = interrupted_home(template, tmp_path)
    published = home / "chiso.duckdb"
    before = digest(published)
    killed = kill_at("after:stage", home, template["landing"], prefect_server)
    assert digest(published) == before
    assert flow_run_state(killed) == "RUNNING"  # what Prefect believes of a killed run
    assert f"build/chiso-{killed}.duckdb" in leftovers(home)

    env = subprocess_env(environment(home, template["landing"], "dvc"), prefect_server)
    retry = subprocess.run(
        [sys.executable, "-m", "flows.cli", "retry", killed],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert retry.returncode == 0, retry.stdout[-2000:] + retry.stderr[-3000:]
    assert "now Crashed" in retry.stdout  # chiso retry found the dead run and marked it first
    assert flow_run_state(killed) == "COMPLETED"
    assert leftovers(home) == []
    assert snapshot(published) == template["reference"]


@pytest.mark.slow
def test_a_refused_build_is_private_and_gone_with_the_next_run(template, tmp_path, monkeypatch):
    import stat

    import flows.nightly as nightly_module

    home = interrupted_home(template, tmp_path)
    before = digest(home / "chiso.duckdb")
    monkeypatch.setattr(  # the publish audit refuses this build (as it did for clear IDs)
        nightly_module,
        "audit_problems",
        lambda con, run_id=None: ["stg.dvc_dossier.dossier_id: 1 value(s)"],
    )
    refused = run_nightly(environment(home, template["landing"], "dvc"))
    assert refused.is_failed() and "audit failed, nothing published" in refused.message
    assert digest(home / "chiso.duckdb") == before
    (build,) = (home / "build").glob("chiso-*.duckdb")  # kept for a retry in place
    assert stat.S_IMODE(build.stat().st_mode) == 0o600 and readable_by_others(home) == []
    monkeypatch.undo()
    assert run_nightly(environment(home, template["landing"], "dvc")).is_completed()
    assert leftovers(home) == []


BOUNDARIES = [
    "after:prepare",
    "after:extract_source",
    "after:stage",
    "after:build_core",
    "after:validate",
    "after:indicators",
    "before_replace",
    "after:publish",
]


@pytest.mark.slow
@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_a_kill_at_every_boundary_leaves_nothing_behind_and_the_next_night_is_whole(
    boundary, template, tmp_path, prefect_server
):
    home = interrupted_home(template, tmp_path)
    published = home / "chiso.duckdb"
    before = digest(published)
    killed = kill_at(boundary, home, template["landing"], prefect_server)
    if boundary == "after:publish":  # published, then killed before the report
        assert digest(published) != before
    else:
        assert digest(published) == before

    state = run_nightly(environment(home, template["landing"], "dvc"))  # the next night
    assert state.is_completed(), state.message
    assert flow_run_state(killed) == "CRASHED"
    assert leftovers(home) == []
    if boundary != "after:publish":
        assert snapshot(published) == template["reference"]
    else:  # the killed run's publish stands; the next night found nothing new to load
        con = duckdb.connect(str(published), read_only=True)
        runs = con.execute(
            "select run_id, files_loaded from audit.run order by started_at"
        ).fetchall()
        con.close()
        assert runs[-1][0] == killed and runs[-1][1] > 0
        assert "nothing new since run " + killed in state.message


# --- personal data and permissions in the data home ----------------------------------------------

SCANNED = ["dvc", "certificates", "docs", "tax"]
PERSONAL = {
    "certificates": ["SoGiayTo", "TenThueBao"],
    "docs": ["Người lập hồ sơ", "Tài khoản người lập"],
    "tax": ["TenNguoiNopThue", "SoDienThoai", "MaSoThue"],
}
FIELD_FAULTS = {  # what the field sends where it should not, and is kept out of the warehouse
    "id_in_code": "093085001234",
    "phone_in_code": "0912 345 678",
    "officer": "Trần Thị Bích Ngọc",
    "officer_phone": "0987654321",
    "email": "ngoc.ttb@haugiang.gov.vn",
}


def personal_values(landing: Path) -> set[str]:
    """The citizen IDs, tax codes, phones, names, logins and e-mails of the simulated input."""
    found: set[str] = set(FIELD_FAULTS.values())
    for path in landing.rglob("hoso_*.jsonl"):
        if not path.exists():  # the dangling link
            continue
        for line in path.read_text(encoding="utf-8-sig").splitlines():
            if line.strip():
                record = json.loads(line)
                found |= {
                    str(record.get(f) or "")
                    for f in ("ChuHoSo", "SoGiayToChuHoSo", "SoDienThoai", "Email")
                }
    for source, fields in PERSONAL.items():
        for pattern in SOURCES[source].datasets.values():
            for path in (landing / source).glob(pattern):
                df = read_csv_text(path, fields)
                for field in fields:
                    found |= set(df[field].drop_nulls().to_list())
    return {v for v in found if len(v) >= 6}


def with_field_faults(landing: Path, tmp: Path) -> None:
    """Add the faults the field sends: personal data in a code, a nested object, a BOM, links."""
    folder = landing / "dvc" / "hoso" / "2025"
    day = sorted(folder.glob("hoso_*.jsonl"))[3]
    records = [json.loads(x) for x in day.read_text(encoding="utf-8").splitlines()[:4]]
    for r in records:
        r["MaHoSo"] += "-F"
    records[0]["MaHoSo"] = FIELD_FAULTS["id_in_code"]
    records[1]["MaHoSo"] = FIELD_FAULTS["phone_in_code"]
    records[2]["DonViXuLy"] = {
        "CanBoXuLy": FIELD_FAULTS["officer"],
        "DienThoai": FIELD_FAULTS["officer_phone"],
    }
    records[3]["MaTTHC"] = FIELD_FAULTS["email"]
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    (folder / "hoso_20250201.jsonl").write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    (folder / "hoso_20250202.jsonl").symlink_to(tmp / "nowhere.jsonl")


@pytest.fixture(scope="module")
def scanned(tmp_path_factory, prefect_server) -> dict:
    """A nightly of four sources with personal data, with the field's faults, its key generated
    in the data home and its task results stored there."""
    root = tmp_path_factory.mktemp("scan")
    landing = root / "landing"
    for name in SCANNED:
        simulate_source(name, landing, date(2025, 1, 1), date(2025, 1, 31), scale=0.02, seed=7)
    with_field_faults(landing, root)
    home = root / "home"
    env = environment(home, landing, ",".join(SCANNED), key=False)
    state = run_nightly(env, storage=home / "prefect" / "storage")
    return {"home": home, "state": state, "secrets": Secrets(personal_values(landing))}


def text_of(path: Path) -> str:
    """A file's text as a reader would find it: JSON and HTML escapes undone."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return html.unescape(text)


class Secrets:
    """The personal values to look for, prepared for fast lookup in any text."""

    def __init__(self, values: set[str]) -> None:
        self.values = values
        self.digits = {re.sub(r"[ .]", "", v): v for v in values if v[0].isdigit() or v[0] == "+"}

    def in_text(self, text: str) -> set[str]:
        """Names as word sequences, IDs and phones as digit runs (spaces and dots ignored),
        e-mails and logins as tokens."""
        words = re.findall(r"[\w.@+-]+", text)
        found = {w for w in words if w in self.values}
        for n in (2, 3, 4, 5):
            grams = {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}
            found |= grams & self.values
        for run in re.findall(r"\+?\d[\d .]{7,}\d", text):
            key = re.sub(r"[ .]", "", run)
            if key in self.digits:
                found.add(self.digits[key])
        return found

    def in_duckdb(self, path: Path) -> dict[str, set[str]]:
        """Every text value stored in any table of a DuckDB file."""
        con = duckdb.connect(str(path), read_only=True)
        try:
            columns = con.execute(
                """select table_schema, table_name, column_name from information_schema.columns
                   where data_type = 'VARCHAR'
                     and table_schema not in ('information_schema', 'pg_catalog')"""
            ).fetchall()
            hits = {}
            for schema, table, column in columns:
                values = con.execute(
                    f'select distinct "{column}" from "{schema}"."{table}" where "{column}" is not null'
                ).fetchall()
                found = self.in_text("\n".join(v[0] for v in values))
                if found:
                    hits[f"{schema}.{table}.{column}"] = found
            return hits
        finally:
            con.close()


def scan(home: Path, secrets: Secrets) -> dict[str, object]:
    """Every file under the data home except ``raw/`` (where the sources' files are kept as sent)."""
    hits: dict[str, object] = {}
    files = [p for p in home.rglob("*") if p.is_file() and "raw" not in p.relative_to(home).parts]
    for path in files:
        found = (
            secrets.in_duckdb(path) if path.suffix == ".duckdb" else secrets.in_text(text_of(path))
        )
        if found:
            hits[str(path.relative_to(home))] = found
    return hits


def test_the_faulty_night_publishes(scanned):
    from conftest import published

    state = scanned["state"]  # published; the dangling link makes it ask for attention
    assert published(state) and "hoso_20250202.jsonl" in state.message, state.message
    con = duckdb.connect(str(scanned["home"] / "chiso.duckdb"), read_only=True)
    rules = dict(
        con.execute(
            "select rule, count(*) from audit.quarantine where file_name = 'hoso_20250201.jsonl' group by 1"
        ).fetchall()
    )
    errors = con.execute("select name from meta.manifest where status = 'error'").fetchall()
    con.close()
    assert rules == {"personal_data_in_field": 3, "nested_value": 1}
    assert errors == [("hoso_20250202.jsonl",)]


def test_no_personal_data_in_any_file_the_pipeline_writes_outside_raw(scanned):
    home, secrets = scanned["home"], scanned["secrets"]
    assert len(secrets.values) > 1000
    files = [p for p in home.rglob("*") if p.is_file() and "raw" not in p.relative_to(home).parts]
    kinds = {p.suffix for p in files}
    assert {".duckdb", ".json", ".html", ".key"} <= kinds, kinds  # warehouse, results, docs, key
    assert scan(home, secrets) == {}
    # and the scan would see them: the raw archive holds them as sent
    raw = [p for p in (home / "raw").rglob("*.jsonl")]
    assert any(secrets.in_text(text_of(p)) for p in raw)


def test_no_file_or_folder_in_the_data_home_is_readable_by_others(scanned):
    home = scanned["home"]
    assert (home / "secrets" / "pii.key").exists()
    assert readable_by_others(home) == []


def test_task_results_are_json_not_pickles(scanned):
    results = [p for p in (scanned["home"] / "prefect" / "storage").rglob("*") if p.is_file()]
    assert len(results) > 5
    records = [json.loads(p.read_bytes()) for p in results]  # every one is JSON
    assert sum(isinstance(r, dict) and "metadata" in r for r in records) > 5
    for record in records:
        if isinstance(record, dict) and "metadata" in record:
            assert record["metadata"]["serializer"]["type"] == "json"


# --- the temporary Prefect server ------------------------------------------------------------------


def servers_of(home: Path) -> list[int]:
    """Process ids of uvicorn servers started for ``home`` (found by their environment)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if b"uvicorn" in cmdline and f"CHISO_HOME={home}".encode() in environ.split(b"\0"):
            found.append(int(proc.name))
    return found


@pytest.mark.slow
def test_the_temporary_server_dies_with_a_killed_run_and_the_home_stays_clean(tmp_path, template):
    """No PREFECT_API_URL: the command's own server, its database under the data home."""
    home = interrupted_home(template, tmp_path)
    env = subprocess_env(environment(home, template["landing"], "dvc"), None)
    proc = subprocess.Popen(
        [sys.executable, str(KILL), "after:stage"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: set[int] = set()
    while proc.poll() is None:
        seen |= set(servers_of(home))
        time.sleep(0.2)
    assert proc.returncode == -9 and seen, proc.stderr.read()[-2000:]
    deadline = time.monotonic() + 20
    while servers_of(home) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert servers_of(home) == []  # it died with its parent

    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "nightly"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "marked Crashed" in done.stderr + done.stdout
    assert servers_of(home) == []
    assert leftovers(home) == []
    assert (home / "prefect" / "prefect.db").exists()
    assert readable_by_others(home) == []
    assert snapshot(home / "chiso.duckdb") == template["reference"]
