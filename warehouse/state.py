"""Which build a run holds, and fingerprints of what its data is: what a retry may reuse.

A retried run reuses the results of the steps it finished, found by a cache key
(``flows/caching.py``). A key made of the steps' arguments alone serves the old
answer after the data changed: an operator fixes the data, presses Retry, and
every step comes back Cached. The functions here give the keys what changes
exactly when the data does:

- the build's *generation*, a new value each time a run makes its build file
  (a copy of the published warehouse): work done in a build that is gone (lost
  a publish race, cleaned up, or already published) is never reused;
- a fingerprint of the files a source delivered (``meta.manifest``), and of the
  whole load state (every file's outcome and the quarantine), which the later
  steps read.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import duckdb

from sources.base import Source
from sources.extract import anything_to_take
from warehouse import build as wh
from warehouse.audit import start_run
from warehouse.build import (
    PublishConflict,
    connect,
    copy_for_build,
    ensure_schema,
    published_run_id,
    scalar,
    session,
)

T = TypeVar("T")


@dataclass(frozen=True)
class BuildInfo:
    """A run's build file: where, the published run it was copied from, and which generation."""

    build: str
    base_run_id: str | None
    generation: str
    fresh: bool  # made by this call (a new copy of the published warehouse)
    how: str = ""  # how the copy was made (``warehouse.build.copy_for_build``), for the log
    warn: bool = False  # ... and whether an operator should look (the spare's copy failed)


def stamp_generation(con: duckdb.DuckDBPyConnection, run_id: str) -> str:
    """Mark the file as a new build of ``run_id``; return its generation."""
    generation = uuid.uuid4().hex
    con.execute("delete from meta.build_generation")
    con.execute(
        "insert into meta.build_generation values (?, ?, ?)", [generation, run_id, datetime.now()]
    )
    return generation


def generation_of(con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    """The generation of the build, if it is a build of ``run_id`` (None otherwise)."""
    return scalar(con, "select generation from meta.build_generation where run_id = ?", [run_id])


def discard_build(build: Path) -> None:
    """Remove a build file and its write-ahead log (a build nobody will publish)."""
    for path in (build, Path(f"{build}.wal")):
        path.unlink(missing_ok=True)


def open_build(published: Path, build: Path, run_id: str) -> BuildInfo:
    """The run's build file: the one it has, or a new copy of the published warehouse.

    A build file that is there and was stamped for this run is kept (a retry
    resumes in it); anything else at that path is discarded and made anew. The
    base of a new build is read from the copy itself, so it is exactly the
    published run that was copied, even if another run published meanwhile.
    """
    if build.exists():
        con = connect(build)
        try:
            ensure_schema(con)
            generation = generation_of(con, run_id)
            base = scalar(con, "select base_run_id from audit.run where run_id = ?", [run_id])
        finally:
            con.close()
        if generation:
            return BuildInfo(str(build), base, generation, fresh=False)
        discard_build(build)  # half made (killed before it was stamped): start again
    copied = copy_for_build(published, build)
    with session(build) as con:
        base = scalar(
            con,
            "select run_id from audit.run where status like 'published%' "
            "order by finished_at desc limit 1",
        )
        start_run(con, run_id, base)
        # this run may have published before (a retry after it published with blocked
        # indicators): it now builds again, on top of what is published
        con.execute(
            """update audit.run set base_run_id = ?, status = 'building', finished_at = null
               where run_id = ?""",
            [base, run_id],
        )
        generation = stamp_generation(con, run_id)
    return BuildInfo(str(build), base, generation, True, copied.how, copied.warn)


class StaleBuild(PublishConflict):
    """Another run published since this build was copied: nothing was published, the build was
    discarded, and a retry of the run builds again on the current warehouse."""


def publish_build(build: Path, published: Path, base_run_id: str | None) -> Path:
    """Publish the build; if another run published since it was copied, discard it (``StaleBuild``).

    A stale build can never be published (it would drop the other run's work),
    and keeping it would make the run's retry fail the same way forever while
    the file fills the disk; without it, the retry makes a new build. Other
    refusals (the audit, ``PublishBusy`` after waiting for the lock) keep the
    build: the run's retry publishes it.
    """
    try:
        return wh.publish(build, published, base_run_id)  # looked up at call time (tests patch it)
    except PublishConflict as exc:
        discard_build(build)
        raise StaleBuild(
            f"another run ({published_run_id(published)}) published while this one was building "
            f"on {base_run_id}: nothing was published and this run's build was discarded; Retry "
            "builds it again on the current warehouse"
        ) from exc


def read_state(build: str | Path, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """Apply ``fn`` to the build, opened as the night's writers open it: a step's cache key is
    read while another step may hold the build open (the checks beside the indicators), and
    DuckDB refuses one file two configurations in a process. Raises ``FileNotFoundError``
    rather than make a missing build."""
    if not Path(build).is_file():
        raise FileNotFoundError(f"no build at {build}")
    con = connect(build)
    try:
        return fn(con)
    finally:
        con.close()


def _digest(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> str:
    rows = con.execute(sql, params or []).fetchall()
    h = hashlib.sha256()
    for row in rows:
        h.update(repr(row).encode())
    return h.hexdigest()


def source_files_fingerprint(con: duckdb.DuckDBPyConnection, source: str) -> str:
    """The files of ``source`` the build has taken (identity and content), and its generation."""
    return _digest(
        con,
        """select (select max(generation) from meta.build_generation), file_id, sha256
           from meta.manifest where source = ? order by file_id""",
        [source],
    )


def load_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """What the staged data is: every file's outcome and row counts, the quarantine, the generation.

    Unchanged by the steps after staging (core, checks, indicators), so a retry
    that loaded nothing new reuses them, and one that loaded anything recomputes them.
    """
    return _digest(
        con,
        """select 'g', max(generation), null, null, null, null, null from meta.build_generation
           union all
           select 'm', file_id, status, rows_read, rows_loaded, rows_quarantined, rows_duplicate
           from meta.manifest
           union all
           select 'q', file_id, status, count(*), null, null, null from audit.quarantine
           group by file_id, status
           order by 1, 2, 3""",
    )


def content_digest(paths: list[Path]) -> str:
    """A digest of files' contents (rules, thresholds, models, catalogue): editing one changes it."""
    h = hashlib.sha256()
    for path in sorted(paths, key=str):
        h.update(str(path).encode())
        h.update(Path(path).read_bytes() if os.path.exists(path) else b"<missing>")
    return h.hexdigest()


def stamp_definitions(con: duckdb.DuckDBPyConnection, run_id: str, fingerprint: str) -> None:
    """Record which definitions (code, rules, catalogue, reference data) built the run's values."""
    con.execute("update audit.run set definitions = ? where run_id = ?", [fingerprint, run_id])


@dataclass(frozen=True)
class PublishedRun:
    """The published warehouse's last run, as a night with nothing new reads it."""

    run_id: str
    definitions: str | None
    blocked: dict[str, str]


def published_run(path: Path) -> PublishedRun | None:
    """The run the published warehouse holds (None when nothing is published yet)."""
    import json

    if not path.exists():
        return None
    con = connect(path, read_only=True)
    try:
        row = con.execute(
            """select run_id, definitions, indicators_blocked from audit.run
               where status like 'published%' order by finished_at desc limit 1"""
        ).fetchone()
    except duckdb.Error:  # a warehouse from before the column: recompute
        return None
    finally:
        con.close()
    if row is None:
        return None
    return PublishedRun(row[0], row[1], json.loads(row[2]) if row[2] else {})


def landing_has_news(published: Path, sources: list[Source], landing_url: str) -> bool:
    """Whether the landing zone holds a file of ``sources`` that the published warehouse has not
    taken (its manifest): the question a night asks before it copies the warehouse, so that a
    night with nothing new costs a listing, not a copy of the whole history. Reads no file."""
    con = connect(published, read_only=True)
    try:
        return any(anything_to_take(con, s, landing_url) for s in sources)
    finally:
        con.close()


def nothing_new(
    extracted: list[dict], staged: list[dict], fresh_build: bool, restaged: bool
) -> bool:
    """True when this night took no file at all and staged nothing: the published values stand.

    Any file listed for the first time counts, whatever became of it (a duplicate, an empty
    delivery, an unreadable file): each changes the manifest or completeness. A resumed build
    (a retry) holds unpublished work, a re-stage re-reads files, and a pull from an API
    always re-reads its overlap: none of them is nothing new.
    """
    if not fresh_build or restaged or any("pulled" in e for e in extracted):
        return False
    took = sum(e.get("taken", 0) + e.get("duplicates", 0) + e.get("errors", 0) for e in extracted)
    return took == 0 and sum(s.get("files", 0) for s in staged) == 0
