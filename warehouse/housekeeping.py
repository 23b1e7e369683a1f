"""What a run leaves behind, and who may read it: run locks, crash leftovers, the raw archive's age.

A run holds ``build/chiso-<run_id>.lock`` (an exclusive ``flock``) from its
start to its end. The kernel drops the lock when the process ends, however it
ends, so "is the run that owns this build still running?" is answered without
trusting a process id: try the lock. At the start of every run
(``clean_abandoned``) the files of runs whose lock is free are removed: the
build copy (``chiso-<run>.duckdb``, its ``.wal``, a half-made ``.copying``, the warehouse it
replaced and had still to remove, ``.replaced``),
the run's lock file and its half-written raw-archive files
(``raw/**/.<run>.*.part``). A build of a run that failed kept its file (0600)
so that it could be retried in place; the next run removes it.

The raw archive (``raw/``) is the one place where personal data exists in
clear: the files as the sources sent them. ``purge_raw`` removes archived
files older than the retention whose rows are loaded in the published
warehouse (the manifest keeps their SHA-256, every staged row its file id and
row hash, so rows stay traceable to the file that brought them).
"""

from __future__ import annotations

import fcntl
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from warehouse.build import connect_published, private_folder

BUILD_PREFIX = "chiso-"


class RunBusy(Exception):
    """The run is already running in another process (its lock is held)."""


def run_lock_path(build_dir: Path, run_id: str) -> Path:
    return build_dir / f"{BUILD_PREFIX}{run_id}.lock"


@contextmanager
def hold_run(build_dir: Path, run_id: str) -> Iterator[Path]:
    """Hold the run's lock for the duration of the block (and no longer than the process)."""
    private_folder(build_dir)
    path = run_lock_path(build_dir, run_id)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise RunBusy(f"run {run_id} is already running (lock {path} is held)") from None
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield path
    finally:  # an end the process sees (success or error) leaves no lock file; a kill leaves one
        path.unlink(missing_ok=True)
        os.close(fd)


def run_state(build_dir: Path, run_id: str) -> str:
    """``running`` (its lock is held), ``gone`` (a lock file nobody holds: the process died) or
    ``unknown`` (no lock file: the run ended cleanly, never started here, or runs elsewhere)."""
    path = run_lock_path(build_dir, run_id)
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return "unknown"
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return "running"
    finally:
        os.close(fd)  # closing drops the probe's own lock
    return "gone"


def _owner(path: Path) -> str | None:
    """The run a build-folder file or a raw ``.part`` file belongs to."""
    name = path.name
    if name.endswith(".part") and name.startswith("."):
        owner = name[1:].split(".", 1)[0]
        return owner or None
    if name.startswith(BUILD_PREFIX):
        stem = name[len(BUILD_PREFIX) :]
        for suffix in (".duckdb.wal", ".duckdb", ".copying", ".replaced", ".lock"):
            if stem.endswith(suffix):
                return stem[: -len(suffix)]
    return None


@dataclass
class Cleaned:
    removed: list[Path] = field(default_factory=list)
    kept_running: list[str] = field(default_factory=list)  # runs still running elsewhere


def clean_abandoned(build_dir: Path, raw_dir: Path, current_run_id: str) -> Cleaned:
    """Remove build, lock and ``.part`` files of every run but this one that is no longer running."""
    result = Cleaned()
    candidates = [p for p in build_dir.glob(f"{BUILD_PREFIX}*") if p.is_file()]
    if raw_dir.exists():
        candidates += [p for p in raw_dir.rglob(".*.part") if p.is_file()]
    states: dict[str, str] = {}
    for path in sorted(candidates, key=lambda p: p.suffix == ".lock"):  # lock files last
        owner = _owner(path)
        if owner is None or owner == current_run_id:
            continue
        if owner not in states:
            states[owner] = run_state(build_dir, owner)
        if states[owner] == "running":
            if owner not in result.kept_running:
                result.kept_running.append(owner)
            continue
        path.unlink(missing_ok=True)
        result.removed.append(path)
    return result


def loaded_archives(published: Path) -> dict[str, datetime]:
    """Archive path -> when it was last taken, for archives whose every manifest entry is loaded
    (``loaded`` or ``duplicate``: all its rows are accounted for in the published warehouse)."""
    if not published.exists():
        return {}
    con = connect_published(published)
    try:
        rows = con.execute(
            """select archive_path, max(extracted_at) from meta.manifest
               where archive_path is not null group by archive_path
               having bool_and(status in ('loaded', 'duplicate'))"""
        ).fetchall()
    finally:
        con.close()
    return {path: taken for path, taken in rows}


def purge_raw(
    published: Path, raw_dir: Path, retention_days: int, now: datetime | None = None
) -> list[Path]:
    """Remove archived files taken more than ``retention_days`` ago whose rows are all loaded.

    Only files inside ``raw_dir`` are touched. A file the published warehouse
    does not know (taken by a run that never published) is removed once its
    own age passes the retention: if it is still in the landing zone, the next
    run takes it again. Files that failed to load are kept (they are retried).
    """
    now = now or datetime.now()
    cutoff = now - timedelta(days=retention_days)
    root = raw_dir.resolve()
    loaded = loaded_archives(published)
    known = set(loaded)
    if published.exists():
        con = connect_published(published)
        try:
            known |= {
                r[0]
                for r in con.execute(
                    "select distinct archive_path from meta.manifest where archive_path is not null"
                ).fetchall()
            }
        finally:
            con.close()
    removed: list[Path] = []
    for path_text, taken in loaded.items():
        path = Path(path_text)
        if taken < cutoff and path.resolve().is_relative_to(root) and path.is_file():
            path.unlink()
            removed.append(path)
    if raw_dir.exists():
        for path in raw_dir.rglob("*"):
            if path.name.startswith(".") or not path.is_file() or str(path) in known:
                continue
            if datetime.fromtimestamp(path.stat().st_mtime) < cutoff:
                path.unlink()
                removed.append(path)
    return removed


def secure_home(home: Path) -> None:
    """Make the data home private (0700). A home made before files were created private has its
    group and other permissions removed from everything in it, once."""
    private_folder(home)
    mode = stat.S_IMODE(home.stat().st_mode)
    if not mode & 0o077:
        return
    for folder, dirs, files in os.walk(home):
        for name in dirs + files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, stat.S_IMODE(os.lstat(path).st_mode) & ~0o077)
    os.chmod(home, mode & ~0o077)


def readable_by_others(home: Path) -> list[Path]:
    """Every file or folder under ``home`` (itself included) that group or others may read."""
    found = []
    for path in [home, *home.rglob("*")]:
        if not path.is_symlink() and stat.S_IMODE(path.lstat().st_mode) & 0o077:
            found.append(path)
    return found
