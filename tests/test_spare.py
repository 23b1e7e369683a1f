"""The next night's build file, copied after a publish (warehouse/spare.py): taken by a rename
when it is a copy of the published file as it is, never when it is stale or half made."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import duckdb

from warehouse.build import copy_for_build, prepare_build
from warehouse.spare import (
    FAILED,
    LOCK,
    PART,
    RECORD,
    SPARE,
    identity,
    main,
    make_spare,
    start_spare,
    take_spare,
    wait_for_spare,
)


def published_file(folder: Path, value: int = 1) -> Path:
    path = folder / "chiso.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create or replace table t as select ? as v", [value])
    con.close()
    return path


def value_in(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select v from t").fetchone()[0]
    finally:
        con.close()


def test_a_spare_of_the_published_file_as_it_is_is_taken_by_a_rename(tmp_path) -> None:
    published = published_file(tmp_path)
    builds = tmp_path / "build"
    spare = make_spare(published, builds)
    assert spare == builds / SPARE and (builds / RECORD).exists()
    assert oct(spare.stat().st_mode & 0o777) == "0o600"
    inode = spare.stat().st_ino
    copied = copy_for_build(published, builds / "chiso-r1.duckdb")
    build = copied.path
    assert build.stat().st_ino == inode  # renamed, not copied
    assert "taken by a rename" in copied.how and not copied.warn
    assert value_in(build) == 1
    assert not (builds / SPARE).exists() and not (builds / RECORD).exists()
    # a second build finds no spare: copied as before, and the log says why
    again = copy_for_build(published, builds / "chiso-r2.duckdb")
    assert again.path.stat().st_ino != inode and value_in(again.path) == 1
    assert again.how.startswith("copied the published warehouse (")
    assert "the copy after the last publish was not finished" in again.how


def test_a_spare_of_a_file_since_replaced_is_removed_and_the_build_copied(tmp_path) -> None:
    published = published_file(tmp_path, 1)
    builds = tmp_path / "build"
    make_spare(published, builds)
    (tmp_path / "other").mkdir()
    newer = published_file(tmp_path / "other", 2)
    os.replace(newer, published)  # another run published
    copied = copy_for_build(published, builds / "chiso-r1.duckdb")
    assert value_in(copied.path) == 2
    assert "the published file changed after it was copied" in copied.how and not copied.warn
    assert not any((builds / n).exists() for n in (SPARE, RECORD, PART))


def test_a_spare_of_a_file_written_since_is_not_taken(tmp_path) -> None:
    published = published_file(tmp_path, 1)
    builds = tmp_path / "build"
    make_spare(published, builds)
    before = identity(published)
    con = duckdb.connect(str(published))  # written in place (no one should; still caught)
    con.execute("update t set v = 3")
    con.close()
    assert identity(published) != before
    target = builds / "taken.duckdb"
    taken = take_spare(published, builds, target)
    assert not taken and "changed after it was copied" in taken.why
    assert not target.exists() and not (builds / SPARE).exists()


def test_a_spare_being_made_is_neither_taken_nor_removed(tmp_path) -> None:
    published = published_file(tmp_path)
    builds = tmp_path / "build"
    make_spare(published, builds)
    fd = os.open(builds / LOCK, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another process making (or taking) the spare
        busy = take_spare(published, builds, builds / "taken.duckdb")
        assert not busy and busy.why == "the copy after the last publish is still being made"
        assert make_spare(published, builds) is None  # nor made twice at once
        assert not wait_for_spare(builds, timeout=0.2)
    finally:
        os.close(fd)
    assert (builds / SPARE).exists() and wait_for_spare(builds, timeout=1)
    assert take_spare(published, builds, builds / "taken.duckdb")


def test_a_half_made_spare_without_its_record_is_not_taken(tmp_path) -> None:
    published = published_file(tmp_path)
    builds = tmp_path / "build"
    make_spare(published, builds)
    (builds / RECORD).unlink()  # killed between the rename and the record
    half = take_spare(published, builds, builds / "taken.duckdb")
    assert not half and half.why == "the copy after the last publish was not finished"
    assert not (builds / SPARE).exists()


def test_the_spare_is_made_by_a_process_of_its_own_holding_the_lock_until_done(tmp_path) -> None:
    published = published_file(tmp_path, 5)
    builds = tmp_path / "build"
    child = start_spare(published, builds)
    assert child is not None
    assert start_spare(published, builds) is None  # one at a time: the lock is the child's
    assert wait_for_spare(builds, timeout=60)
    assert child.wait(timeout=60) == 0
    assert os.stat(builds / SPARE).st_size == published.stat().st_size
    build = prepare_build(published, builds / "chiso-r1.duckdb")
    assert value_in(build) == 5 and not (builds / SPARE).exists()


def test_a_spare_is_not_made_of_a_missing_file(tmp_path) -> None:
    builds = tmp_path / "build"
    assert make_spare(tmp_path / "none.duckdb", builds) is None
    assert not any((builds / n).exists() for n in (SPARE, RECORD, PART))
    shutil.rmtree(builds)
    none = take_spare(tmp_path / "none.duckdb", builds, tmp_path / "x.duckdb")
    assert not none and none.why == "no copy was made after the last publish"


def test_a_failed_copy_is_told_by_the_next_night_as_a_warning(tmp_path) -> None:
    published = tmp_path / "chiso.duckdb"
    published.mkdir()  # not a file: the copy fails (as on a full disk), and its process says why
    builds = tmp_path / "build"
    assert main([str(published), str(builds)]) == 1
    assert "IsADirectoryError" in (builds / FAILED).read_text(encoding="utf-8")
    assert not any((builds / n).exists() for n in (SPARE, RECORD, PART))
    published.rmdir()
    published_file(tmp_path, 7)
    copied = copy_for_build(published, builds / "chiso-r1.duckdb")
    assert value_in(copied.path) == 7  # copied as before
    assert copied.warn and "the copy after the last publish failed: IsADirectoryError" in copied.how
    assert not (builds / FAILED).exists()  # told once
    # the next spare made is taken again, without a warning
    make_spare(published, builds)
    taken = copy_for_build(published, builds / "chiso-r2.duckdb")
    assert "taken by a rename" in taken.how and not taken.warn


def test_the_build_info_says_how_the_copy_was_made(tmp_path) -> None:
    from warehouse.state import open_build

    published = published_file(tmp_path, 1)
    builds = tmp_path / "build"
    make_spare(published, builds)
    info = open_build(published, builds / "chiso-r1.duckdb", "r1")
    assert info.fresh and "taken by a rename" in info.how and not info.warn
    again = open_build(published, builds / "chiso-r1.duckdb", "r1")  # a retry keeps its file
    assert not again.fresh and again.how == ""
