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
from concurrent.futures import ThreadPoolExecutor
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
    Taken,
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


MANIFEST_COLUMNS = [
    "file_id", "source", "dataset", "url", "name", "size", "modified", "sha256", "archive_path",
    "file_date", "period_start", "period_end", "status", "duplicate_of", "run_id", "extracted_at",
    "lines",
]  # fmt: skip


class ManifestBook:
    """Records taken files in ``meta.manifest``, looking up what is known once and writing the
    new entries in one statement (``flush``): a source of hundreds of daily files pays one
    query, not four per file.

    Each file is settled as ``record_in_manifest`` says; the entries recorded since the last
    ``flush`` count as known (a second file with the same content is their duplicate).
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        source: Source,
        run_id: str,
        only: tuple[str, str] | None = None,
    ) -> None:
        """``only``: (file id, content sha256) of the one file to be recorded: look up just it."""
        self.con, self.source, self.run_id = con, source, run_id
        fid, sha = only or ("", "")
        self.status = dict(
            con.execute(
                "select file_id, status from meta.manifest where ? or file_id = ?",
                [only is None, fid],
            ).fetchall()
        )
        self.first_with: dict[str, str] = {}  # content sha256 -> the first file taken with it
        for content, first in con.execute(
            """select sha256, file_id from meta.manifest
               where status in ('loaded', 'extracted') and (? or sha256 = ?)
               order by extracted_at desc""",
            [only is None, sha],
        ).fetchall():
            self.first_with[content] = first
        self.rows: list[list[Any]] = []
        self.settled_urls: list[str] = []

    def record(
        self, dataset: str, url: str, name: str, size: int, modified: str, taken: Taken
    ) -> str | None:
        """Record one taken file (or API page); its status, or None if known."""
        sha = taken.digest
        fid = file_id_for(url, sha)
        self.settled_urls.append(url)  # an earlier error entry of this URL is settled
        if fid in self.status and self.status[fid] != "error":
            return None
        same_content = self.first_with.get(sha)
        status = "duplicate" if same_content else "extracted"
        self.status[fid] = status
        if status == "extracted":
            self.first_with[sha] = fid
        self.rows.append(
            [
                fid,
                self.source.name,
                dataset,
                url,
                name,
                size,
                modified,
                sha,
                str(taken.path),
                file_date(name),
                *covered_period(self.source, name),
                status,
                same_content,
                self.run_id,
                datetime.now(),
                taken.lines,
            ]
        )
        return status

    def flush(self) -> None:
        """Write what was recorded: error entries it settles removed, its entries inserted."""
        if self.settled_urls:
            self.con.execute(
                "delete from meta.manifest where sha256 = '' and url in (select unnest(?))",
                [self.settled_urls],
            )
        if self.rows:
            fids = [r[0] for r in self.rows]
            self.con.execute(
                "delete from meta.manifest where file_id in (select unnest(?))", [fids]
            )
            columns = list(zip(*self.rows, strict=True))
            values = ", ".join(f"unnest(?) as {c}" for c in MANIFEST_COLUMNS)
            self.con.execute(
                f"""insert into meta.manifest ({", ".join(MANIFEST_COLUMNS)})
                    select {", ".join(MANIFEST_COLUMNS)} from (select {values})""",
                [list(c) for c in columns],
            )
        self.rows, self.settled_urls = [], []


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
    book = ManifestBook(con, source, run_id, only=(file_id_for(url, sha), sha))
    status = book.record(dataset, url, name, size, modified, Taken(sha, archived))
    book.flush()
    return status


def listed_and_to_take(
    con: duckdb.DuckDBPyConnection, source: Source, landing_url: str, skip: tuple[str, ...] = ()
) -> tuple[list[LandingFile], list[LandingFile]]:
    """The landing zone's files of ``source`` (datasets in ``skip`` not listed), and those of
    them the manifest in ``con`` has not settled (new, changed since, failed before, or
    unlistable). Reads no file."""
    datasets = {k: v for k, v in source.datasets.items() if k not in skip}
    listing = list_landing(landing_url, source.name, datasets, source.names_ignore_case)
    return listing, files_to_take(listing, known_files(con, source.name))


def anything_to_take(
    con: duckdb.DuckDBPyConnection, source: Source, landing_url: str, skip: tuple[str, ...] = ()
) -> bool:
    """Whether ``extract`` would take a file of ``source``."""
    return bool(listed_and_to_take(con, source, landing_url, skip)[1])


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
    listing, todo = listed_and_to_take(con, source, landing_url, skip)
    taken = duplicates = errors = 0
    book = ManifestBook(con, source, run_id)
    with ThreadPoolExecutor(TAKERS) as pool:  # files copied and hashed two at a time
        futures = [pool.submit(_take, f, raw_dir, run_id) for f in todo]
        results: list[Taken | Exception] = []
        for future in futures:
            try:
                results.append(future.result())
            except Exception as exc:  # noqa: BLE001 - recorded below as the file's error
                results.append(exc)
    for f, result in zip(todo, results, strict=True):  # recorded in the listing's order
        if isinstance(result, Exception):  # this file's failure, not the source's: go on
            record_unreadable(con, source, f, cause(result), run_id)
            errors += 1
            continue
        # taken: an error entry of this URL from an earlier listing or archiving failure is
        # settled when the book is written
        status = book.record(f.dataset, f.url, f.name, f.size, f.modified, result)
        if status is None:
            continue  # same URL, same content: only its timestamp changed
        taken += 1
        duplicates += status == "duplicate"
    book.flush()
    return ExtractSummary(source.name, len(listing), taken, duplicates, errors)


TAKERS = 2  # files taken at once: hashing is CPU, copying is the disk's; two cores


def _take(f: LandingFile, raw_dir: Path, run_id: str) -> Taken:
    if f.problem:
        raise LandingProblem(f.problem)
    return take(f, raw_dir, run_id)


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
