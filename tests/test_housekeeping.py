"""What runs leave behind and who can read it: run locks, crash leftovers, the raw archive's retention,
the PII key's permissions."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from flows.settings import load_settings, pii_key
from warehouse import build as wh
from warehouse.housekeeping import (
    RunBusy,
    clean_abandoned,
    hold_run,
    purge_raw,
    readable_by_others,
    run_lock_path,
    run_state,
    secure_home,
)


def hold_in_another_process(build_dir: Path, run_id: str) -> subprocess.Popen:
    """A live run: another process holding the run's lock."""
    code = (
        "import sys, time; from pathlib import Path; from warehouse.housekeeping import hold_run\n"
        "with hold_run(Path(sys.argv[1]), sys.argv[2]):\n"
        "    print('held', flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(build_dir), run_id],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def leave_files(build_dir: Path, raw_dir: Path, run_id: str) -> list[Path]:
    """What a run leaves when it dies at the wrong moment."""
    build_dir.mkdir(parents=True, exist_ok=True)
    (raw_dir / "dvc" / "dossier").mkdir(parents=True, exist_ok=True)
    paths = [
        build_dir / f"chiso-{run_id}.duckdb",
        build_dir / f"chiso-{run_id}.duckdb.wal",
        build_dir / f"chiso-{run_id}.copying",
        raw_dir / "dvc" / "dossier" / f".{run_id}.k2j4h5.part",
    ]
    for p in paths:
        p.write_bytes(b"x")
    return paths


def test_files_of_dead_runs_are_removed_and_those_of_live_runs_kept(tmp_path):
    build, raw = tmp_path / "build", tmp_path / "raw"
    killed = leave_files(build, raw, "killed-run")
    run_lock_path(build, "killed-run").write_text("4242\n")  # SIGKILL leaves the lock file
    failed = leave_files(build, raw, "failed-run")  # an error: the lock file was removed
    live = leave_files(build, raw, "live-run")
    mine = leave_files(build, raw, "this-run")
    (raw / "dvc" / "dossier" / "0123abcd-hoso_20250101.jsonl").write_bytes(b"{}")
    holder = hold_in_another_process(build, "live-run")
    try:
        assert run_state(build, "killed-run") == "gone"
        assert run_state(build, "live-run") == "running"
        assert run_state(build, "failed-run") == "unknown"
        with hold_run(build, "this-run"):
            cleaned = clean_abandoned(build, raw, "this-run")
            assert run_state(build, "this-run") == "running"
        assert cleaned.kept_running == ["live-run"]
        assert sorted(cleaned.removed) == sorted(
            [*killed, run_lock_path(build, "killed-run"), *failed]
        )
        assert all(p.exists() for p in [*live, *mine])
        assert (raw / "dvc" / "dossier" / "0123abcd-hoso_20250101.jsonl").exists()
        assert not run_lock_path(build, "this-run").exists()  # a clean end leaves no lock file
    finally:
        holder.kill()
        holder.wait()
    assert run_state(build, "live-run") == "gone"  # its process died: the kernel dropped the lock
    assert clean_abandoned(build, raw, "next").removed


def test_a_run_cannot_be_held_twice(tmp_path):
    holder = hold_in_another_process(tmp_path, "r1")
    try:
        with pytest.raises(RunBusy, match="run r1 is already running"), hold_run(tmp_path, "r1"):
            pass
    finally:
        holder.kill()
        holder.wait()


def published_with_manifest(path: Path, rows: list[tuple[str, str, datetime]]) -> Path:
    """A published warehouse whose manifest has (archive path, status, extracted_at) rows."""
    con = wh.connect(path)
    wh.ensure_schema(con)
    for i, (archive, status, taken) in enumerate(rows):
        con.execute(
            """insert into meta.manifest (file_id, source, dataset, url, name, sha256, archive_path,
                   status, run_id, extracted_at) values (?, 'dvc', 'dossier', ?, ?, 'h', ?, ?, 'r', ?)""",
            [f"f{i}", f"u{i}", f"n{i}", archive, status, taken],
        )
    wh.checkpoint_and_close(con)
    return path


def test_purge_removes_old_loaded_archives_only(tmp_path):
    raw = tmp_path / "raw" / "dvc" / "dossier"
    raw.mkdir(parents=True)
    now = datetime(2026, 6, 1)
    old, recent = now - timedelta(days=120), now - timedelta(days=10)
    files = {n: raw / f"{n}.jsonl" for n in ("old", "recent", "failed", "dup", "orphan", "new")}
    for p in files.values():
        p.write_text("{}")
    os.utime(files["orphan"], (old.timestamp(), old.timestamp()))
    outside = tmp_path / "elsewhere.jsonl"
    outside.write_text("{}")
    published = published_with_manifest(
        tmp_path / "chiso.duckdb",
        [
            (str(files["old"]), "loaded", old),
            (str(files["recent"]), "loaded", recent),
            (str(files["failed"]), "error", old),
            (str(files["dup"]), "loaded", old),
            (str(files["dup"]), "duplicate", old + timedelta(days=1)),
            (str(outside), "loaded", old),
        ],
    )
    removed = purge_raw(published, tmp_path / "raw", 90, now)
    assert sorted(removed) == sorted([files["old"], files["dup"], files["orphan"]])
    assert files["recent"].exists() and files["failed"].exists() and files["new"].exists()
    assert outside.exists()  # never outside the raw archive


def test_the_key_is_created_private_without_a_chmod(tmp_path, monkeypatch):
    def no_chmod(*args, **kwargs):
        raise AssertionError("the key must be created with its mode, not chmod-ed after")

    monkeypatch.setattr(os, "chmod", no_chmod)
    monkeypatch.setattr(Path, "chmod", no_chmod)
    old_umask = os.umask(0o022)  # even in a process that would make files readable by others
    try:
        settings = load_settings({"CHISO_HOME": str(tmp_path / "home")})
        key = pii_key(settings, env={})
    finally:
        os.umask(old_umask)
    path = tmp_path / "home" / "secrets" / "pii.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(key) == 64 and pii_key(settings, env={}) == key
    assert [p.name for p in path.parent.iterdir()] == ["pii.key"]


def test_an_old_home_is_made_private_once(tmp_path):
    home = tmp_path / "home"
    (home / "build").mkdir(parents=True)
    (home / "chiso.duckdb").write_bytes(b"x")
    os.chmod(home, 0o755)
    os.chmod(home / "build", 0o755)
    os.chmod(home / "chiso.duckdb", 0o644)
    assert len(readable_by_others(home)) == 3
    secure_home(home)
    assert readable_by_others(home) == []


def test_a_stale_part_file_of_a_dead_take_is_removed(tmp_path):
    """Taking a file writes ``.<run>.*.part`` first: a run killed mid-copy leaves it."""
    from sources.landing import LandingFile, take

    src = tmp_path / "landing" / "dvc" / "hoso_20250101.jsonl"
    src.parent.mkdir(parents=True)
    src.write_bytes(b'{"MaHoSo": "1"}\n')
    f = LandingFile("dvc", "dossier", str(src), src.name, 16, "0", real_path=str(src))
    digest, archived, _ = take(f, tmp_path / "raw", "run-1")
    assert stat.S_IMODE(archived.stat().st_mode) == 0o600
    assert stat.S_IMODE(archived.parent.stat().st_mode) == 0o700
    stale = archived.parent / ".run-1.abcdef.part"
    stale.write_bytes(b"half")
    run_lock_path(tmp_path / "build", "run-1").parent.mkdir()
    run_lock_path(tmp_path / "build", "run-1").write_text("1\n")
    assert stale in clean_abandoned(tmp_path / "build", tmp_path / "raw", "run-2").removed
    assert archived.exists()


def test_chiso_purge_raw_uses_the_retention_setting(tmp_path, monkeypatch, capsys):
    from flows.cli import main

    home = tmp_path / "home"
    archive = home / "raw" / "dvc" / "dossier" / "0123-hoso_20250101.jsonl"
    archive.parent.mkdir(parents=True)
    archive.write_text("{}")
    taken = datetime.now() - timedelta(days=40)
    published_with_manifest(home / "chiso.duckdb", [(str(archive), "loaded", taken)])
    monkeypatch.setenv("CHISO_HOME", str(home))
    monkeypatch.setenv("CHISO_RAW_RETENTION_DAYS", "60")
    assert main(["purge-raw"]) == 0 and archive.exists()
    assert "removed 0 archived file(s) loaded more than 60 days ago" in capsys.readouterr().out
    monkeypatch.setenv("CHISO_RAW_RETENTION_DAYS", "30")
    assert main(["purge-raw"]) == 0 and not archive.exists()
    assert "removed 1 archived file(s) loaded more than 30 days ago" in capsys.readouterr().out
