"""Extract: take a source's new files from the landing zone into the raw archive and the manifest.

Nothing is parsed here. A file already in the manifest (same URL, size and
modification time) is not even read; a file whose content was taken before
under another name is recorded as ``duplicate`` of that file (staging then
settles it: a re-send of events loads nothing; a snapshot on another date is
a new observation and is staged; an empty file is its own date's delivery);
a file that failed to load on an earlier run is taken again.

One file never stops the others: a file that cannot be listed, read or
archived (a dangling link, a link out of the landing zone, a file that
vanished between listing and reading, a disk error) is recorded as an
``error`` entry naming its landing path and the cause, with an empty
``sha256``, and is tried again on the next run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from sources.base import Source, file_date
from sources.http import Page
from sources.landing import (
    LandingFile,
    ManifestEntry,
    archive_bytes,
    files_to_take,
    list_landing,
    take,
)


@dataclass(frozen=True)
class ExtractSummary:
    source: str
    listed: int
    taken: int
    duplicates: int
    errors: int = 0  # files that could not be listed, read or archived (manifest status error)


def known_files(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, ManifestEntry]:
    rows = con.execute(
        """select url, size, modified, sha256, status from meta.manifest
           where source = ? qualify row_number() over (partition by url order by extracted_at desc) = 1""",
        [source],
    ).fetchall()
    return {r[0]: ManifestEntry(*r) for r in rows}


def file_id_for(url: str, sha256: str) -> str:
    return hashlib.sha256(f"{url}|{sha256}".encode()).hexdigest()[:16]


def covered_period(source: Source, name: str) -> tuple[date | None, date | None]:
    """The period a file covers: the source's own reading of the name, else the day stamped in it."""
    period = source.period_of(name) if source.period_of else None
    if period:
        return period
    day = file_date(name)
    return day, day


def register_sources(con: duckdb.DuckDBPyConnection, sources: dict[str, Source]) -> None:
    """Write the registry's delivery expectations into ``ref.source``."""
    con.execute("delete from ref.source")
    con.executemany(
        "insert into ref.source values (?, ?, ?, ?, ?, ?)",
        [
            [
                s.name,
                s.title_vi,
                s.title_en,
                s.cadence,
                s.due_days,
                s.tracked_dataset or s.dataset_order()[0],
            ]
            for s in sources.values()
        ],
    )


def record_in_manifest(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    dataset: str,
    url: str,
    name: str,
    size: int,
    modified: str,
    sha: str,
    archived: Path,
    run_id: str,
) -> str | None:
    """Record one taken file (or API page) in ``meta.manifest``; its status, or None if known.

    A URL already recorded with the same content is left as it is (None); the
    same content taken before under another URL is a ``duplicate`` naming that
    file (``duplicate_of``), which staging settles by the dataset's kind
    (``transforms/staging/run.py``); anything else is ``extracted``, for staging
    to load.
    """
    fid = file_id_for(url, sha)
    previous = con.execute(
        "select file_id, status from meta.manifest where file_id = ?", [fid]
    ).fetchone()
    if previous and previous[1] != "error":
        return None
    same_content = con.execute(
        """select file_id from meta.manifest where sha256 = ? and status in ('loaded', 'extracted')
           and file_id <> ? order by extracted_at limit 1""",
        [sha, fid],
    ).fetchone()
    status = "duplicate" if same_content else "extracted"
    con.execute("delete from meta.manifest where file_id = ?", [fid])
    con.execute(
        """insert into meta.manifest (file_id, source, dataset, url, name, size, modified, sha256,
               archive_path, file_date, period_start, period_end, status, duplicate_of, run_id,
               extracted_at)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            fid,
            source.name,
            dataset,
            url,
            name,
            size,
            modified,
            sha,
            str(archived),
            file_date(name),
            *covered_period(source, name),
            status,
            same_content[0] if same_content else None,
            run_id,
            datetime.now(),
        ],
    )
    return status


def extract(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    landing_url: str,
    raw_dir: Path,
    run_id: str,
    skip: tuple[str, ...] = (),
) -> ExtractSummary:
    """Take every unsettled file of ``source``; record each in ``meta.manifest``. Idempotent.

    Datasets in ``skip`` are not listed (they are pulled from an API instead).
    """
    datasets = {k: v for k, v in source.datasets.items() if k not in skip}
    listing = list_landing(landing_url, source.name, datasets, source.names_ignore_case)
    todo = files_to_take(listing, known_files(con, source.name))
    taken = duplicates = errors = 0
    for f in todo:
        try:
            if f.problem:
                raise LandingProblem(f.problem)
            sha, archived = take(f, raw_dir, run_id)
        except Exception as exc:  # this file's failure, not the source's: record it, go on
            record_unreadable(con, source, f, cause(exc), run_id)
            errors += 1
            continue
        # taken: an error entry of this URL from an earlier listing or archiving failure is settled
        con.execute("delete from meta.manifest where url = ? and sha256 = ''", [f.url])
        status = record_in_manifest(
            con, source, f.dataset, f.url, f.name, f.size, f.modified, sha, archived, run_id
        )
        if status is None:
            continue  # same URL, same content: only its timestamp changed
        taken += 1
        duplicates += status == "duplicate"
    return ExtractSummary(source.name, len(listing), taken, duplicates, errors)


class LandingProblem(Exception):
    """Why the listing found a file that cannot be taken."""


def cause(exc: Exception) -> str:
    """One line saying why a file could not be taken (never its content)."""
    if isinstance(exc, LandingProblem):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return "the file vanished between listing and reading (moved or deleted meanwhile)"
    if isinstance(exc, OSError):
        return (
            f"cannot read or archive it: {exc.strerror or type(exc).__name__} (errno {exc.errno})"
        )
    return f"cannot read or archive it: {type(exc).__name__}"


def record_unreadable(
    con: duckdb.DuckDBPyConnection, source: Source, f: LandingFile, problem: str, run_id: str
) -> None:
    """Record a file that could not be taken: status ``error``, no content hash, its landing path
    and the cause in ``error``; ``files_to_take`` offers it again on the next run."""
    fid = file_id_for(f.url, "")
    con.execute("delete from meta.manifest where file_id = ?", [fid])
    con.execute(
        """insert into meta.manifest (file_id, source, dataset, url, name, size, modified, sha256,
               archive_path, file_date, period_start, period_end, status, error, run_id, extracted_at)
           values (?, ?, ?, ?, ?, ?, ?, '', null, ?, ?, ?, 'error', ?, ?, ?)""",
        [
            fid,
            f.source,
            f.dataset,
            f.url,
            f.name,
            f.size,
            f.modified,
            file_date(f.name),
            *covered_period(source, f.name),
            f"{f.source}/{f.relative or f.name}: {problem}",
            run_id,
            datetime.now(),
        ],
    )


def load_cursor(con: duckdb.DuckDBPyConnection, source: str, dataset: str) -> str | None:
    """The saved cursor (JSON) of a source's API pull, or None before the first page."""
    row = con.execute(
        "select cursor from meta.pull_cursor where source = ? and dataset = ?", [source, dataset]
    ).fetchone()
    return row[0] if row else None


class ManifestSink:
    """Keeps each page an API pull hands over: raw archive, manifest, cursor, one commit per page.

    The page is archived with its request (``<archive>.request.json``) and
    recorded in ``meta.manifest`` like a file (``record_in_manifest``), so
    staging, quarantine, row conservation and lineage treat it as one; the
    cursor is saved in the same transaction. Call it with the connection
    outside any transaction.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        source: Source,
        dataset: str,
        raw_dir: Path,
        run_id: str,
        name_of: Callable[[Page, Any], str],
    ) -> None:
        self.con, self.source, self.dataset = con, source, dataset
        self.raw_dir, self.run_id, self.name_of = raw_dir, run_id, name_of
        self.pages = self.taken = self.duplicates = 0

    def __call__(self, page: Page, key: Any, cursor: Any) -> None:
        name = self.name_of(page, key)
        sha, archived = archive_bytes(
            page.body,
            self.raw_dir,
            self.source.name,
            self.dataset,
            name,
            page.request_record(),
            self.run_id,
        )
        self.con.begin()
        try:
            status = record_in_manifest(
                self.con,
                self.source,
                self.dataset,
                page.url,
                name,
                len(page.body),
                page.fetched_at.isoformat(),
                sha,
                archived,
                self.run_id,
            )
            if cursor is not None:
                self.con.execute(
                    """insert or replace into meta.pull_cursor (source, dataset, cursor, run_id, updated_at)
                       values (?, ?, ?, ?, ?)""",
                    [self.source.name, self.dataset, cursor.to_json(), self.run_id, datetime.now()],
                )
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise
        self.pages += 1
        self.taken += status is not None
        self.duplicates += status == "duplicate"
