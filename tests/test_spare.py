"""The next night's build file, copied after a publish (warehouse/spare.py): taken by a rename
when it is a copy of the published file as it is, never when it is stale or half made."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import duckdb

from warehouse.build import prepare_build
from warehouse.spare import (
    LOCK,
    PART,
    RECORD,
    SPARE,
    identity,
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
    build = prepare_build(published, builds / "chiso-r1.duckdb")
    assert build.stat().st_ino == inode  # renamed, not copied
    assert value_in(build) == 1
    assert not (builds / SPARE).exists() and not (builds / RECORD).exists()
    # a second build finds no spare: copied as before
    other = prepare_build(published, builds / "chiso-r2.duckdb")
    assert other.stat().st_ino != inode and value_in(other) == 1


def test_a_spare_of_a_file_since_replaced_is_removed_and_the_build_copied(tmp_path) -> None:
    published = published_file(tmp_path, 1)
    builds = tmp_path / "build"
    make_spare(published, builds)
    (tmp_path / "other").mkdir()
    newer = published_file(tmp_path / "other", 2)
    os.replace(newer, published)  # another run published
    build = prepare_build(published, builds / "chiso-r1.duckdb")
    assert value_in(build) == 2
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
    assert not take_spare(published, builds, target)
    assert not target.exists() and not (builds / SPARE).exists()


def test_a_spare_being_made_is_neither_taken_nor_removed(tmp_path) -> None:
    published = published_file(tmp_path)
    builds = tmp_path / "build"
    make_spare(published, builds)
    fd = os.open(builds / LOCK, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another process making (or taking) the spare
        assert not take_spare(published, builds, builds / "taken.duckdb")
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
    assert not take_spare(published, builds, builds / "taken.duckdb")
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
    assert not take_spare(tmp_path / "none.duckdb", builds, tmp_path / "x.duckdb")
