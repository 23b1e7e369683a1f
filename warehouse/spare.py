"""The next night's build file, copied from the published warehouse after a publish.

A night builds on a private copy of the published warehouse (``warehouse.build``). The copy
is gigabytes as the history grows (1.8 GB at scale 8, 1.7 s), and it was made at the start
of each night, on the night's own time. The published file does not change between two
publishes, so the copy can be made once a night has published, while nothing waits for it:
a process of its own, at low priority (``start_spare``), copies the published file to
``<build dir>/spare.duckdb`` and records which file it copied (``spare.json``: device, inode,
size and modification time, unchanged from before the copy to after it). The next night's
``prepare_build`` takes the spare by renaming it (``take_spare``) if the published file is
still that very file; otherwise (another run published, the file was replaced or touched,
the spare is half made or missing) it removes what is stale and copies as before.

``spare.lock`` (an exclusive ``flock``) is held by the process making the spare from before
it starts until it ends, and by ``take_spare`` while it looks: a night never takes a spare
being written, and ``wait_for_spare`` (the benchmark, the tests) waits for one to be done.
The spare costs the disk one more copy of the warehouse; ``CHISO_SPARE_BUILD=0`` turns it off.

The process writes nowhere an operator looks, so what became of the spare is told by the next
night: ``take_spare`` says why it was not taken (none made, being made, not finished, the
published file changed since, or the copy failed: the process leaves its error in
``spare.failed``), and the nightly's ``prepare`` logs it.

Nothing here imports Prefect.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from warehouse.build import private_copy, private_folder

SPARE = "spare.duckdb"
RECORD = "spare.json"  # which published file the spare is a copy of
LOCK = "spare.lock"
PART = "spare.copying"
RECORD_PART = RECORD + ".tmp"  # the record as it is written, before its atomic rename
FAILED = "spare.failed"  # why the last copy failed, left by its process for the next night
NICE = 10  # the spare's copy gives way to whatever else runs (analysts' queries, a night)


def identity(path: Path) -> dict[str, int]:
    """What tells a file from any other and from itself changed: device, inode, size, mtime."""
    st = os.stat(path)
    return {"dev": st.st_dev, "ino": st.st_ino, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _lock(build_dir: Path) -> int:
    private_folder(build_dir)
    return os.open(build_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o600)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def discard(build_dir: Path) -> None:
    """Remove the spare, its record and a half-made copy or record (the caller holds the lock)."""
    for name in (RECORD, SPARE, PART, RECORD_PART, FAILED):
        (build_dir / name).unlink(missing_ok=True)


def _failed(build_dir: Path, why: str) -> None:
    """Leave ``why`` the copy failed for the next night to tell (the process has no log)."""
    with contextlib.suppress(OSError):
        (build_dir / FAILED).write_text(why[:500], encoding="utf-8")


def make_spare(published: Path, build_dir: Path) -> Path | None:
    """Copy ``published`` to the spare and record which file it copied; the spare, or None if
    the published file changed during the copy (nothing is kept then) or another process holds
    the lock (a spare being made or taken). ``start_spare``'s process, which holds the lock
    already, copies without taking it."""
    fd = _lock(build_dir)
    try:
        if not _try_lock(fd):
            return None
        return _copy_spare(published, build_dir)
    finally:
        os.close(fd)


def _copy_spare(published: Path, build_dir: Path) -> Path | None:
    discard(build_dir)
    if not published.exists():
        return None
    before = identity(published)
    private_copy(published, build_dir / PART)
    if identity(published) != before:  # replaced or written while it was copied
        discard(build_dir)
        _failed(build_dir, "the published file changed while it was copied")
        return None
    os.replace(build_dir / PART, build_dir / SPARE)
    record = build_dir / RECORD_PART
    fd = os.open(record, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(before, out)
    os.replace(record, build_dir / RECORD)  # the spare counts once its record is there
    return build_dir / SPARE


@dataclass(frozen=True)
class Taken:
    """What ``take_spare`` found: whether the spare was taken and, for the run's log, why (not)."""

    taken: bool
    why: str
    failed: bool = False  # the copy after the last publish failed: an operator should know

    def __bool__(self) -> bool:
        return self.taken


def take_spare(published: Path, build_dir: Path, target: Path) -> Taken:
    """Move the spare to ``target`` if it is a copy of ``published`` as the file is now (taken);
    else say why not. A spare being made is not waited for; a stale one is removed."""
    if not (build_dir / LOCK).exists():
        return Taken(False, "no copy was made after the last publish")
    fd = _lock(build_dir)
    try:
        if not _try_lock(fd):
            return Taken(False, "the copy after the last publish is still being made")
        try:
            failure = (build_dir / FAILED).read_text(encoding="utf-8")
        except OSError:
            failure = None
        try:
            recorded = json.loads((build_dir / RECORD).read_text(encoding="utf-8"))
            current = identity(published)
        except (OSError, ValueError):
            recorded, current = None, None
        if failure is not None or recorded is None or not (build_dir / SPARE).exists():
            discard(build_dir)
            if failure is not None:
                return Taken(False, f"the copy after the last publish failed: {failure}", True)
            return Taken(False, "the copy after the last publish was not finished")
        if recorded != current:
            discard(build_dir)
            return Taken(
                False,
                "the published file changed after it was copied (another run published, "
                "or the file was replaced or written)",
            )
        (build_dir / RECORD).unlink()
        os.replace(build_dir / SPARE, target)
        return Taken(True, "the copy made after the last publish, taken by a rename")
    finally:
        os.close(fd)


def start_spare(published: Path, build_dir: Path) -> subprocess.Popen[bytes] | None:
    """Start making the spare in a process of its own that outlives the caller (a new session,
    low priority); the lock is taken here and handed to it, so it is held from now until the
    copy is done. None if a spare is being made already."""
    fd = _lock(build_dir)
    try:
        if not _try_lock(fd):
            return None
        return subprocess.Popen(
            [sys.executable, "-m", "warehouse.spare", str(published), str(build_dir), str(fd)],
            pass_fds=(fd,),
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=Path(__file__).resolve().parent.parent,
        )
    finally:
        os.close(fd)  # the child holds the lock through its copy of the descriptor


def wait_for_spare(build_dir: Path, timeout: float = 600.0) -> bool:
    """Wait until no spare is being made (True), or ``timeout`` seconds (False)."""
    if not (build_dir / LOCK).exists():
        return True
    fd = _lock(build_dir)
    try:
        deadline = time.monotonic() + timeout
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True
    finally:
        os.close(fd)


def main(argv: list[str] | None = None) -> int:
    """``python -m warehouse.spare <published> <build dir> [<locked fd>]`` (``start_spare`` passes
    the descriptor of the lock it took; without one the lock is taken here)."""
    args = argv if argv is not None else sys.argv[1:]
    published, build_dir = Path(args[0]), Path(args[1])
    os.nice(NICE)
    try:
        if len(args) > 2:  # started by ``start_spare``: the lock is held through that descriptor
            _copy_spare(published, build_dir)
        else:
            make_spare(published, build_dir)
    except OSError as exc:  # a full disk, the folder removed: the next night copies as before
        with contextlib.suppress(OSError):
            discard(build_dir)
        _failed(build_dir, f"{type(exc).__name__}: {exc}")  # (and says so)
        return 1
    finally:
        if len(args) > 2:
            os.close(int(args[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
