"""Extract: take a source's new files from the landing zone into the raw archive and the manifest.

Nothing is parsed here. A file already in the manifest (same URL, size and
modification time) is not even read; a file whose content was taken before
under another name is recorded as ``duplicate`` and will not be loaded; a
file that failed to load on an earlier run is taken again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from sources.base import Source, file_date
from sources.landing import ManifestEntry, files_to_take, list_landing, take


@dataclass(frozen=True)
class ExtractSummary:
    source: str
    listed: int
    taken: int
    duplicates: int


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


def extract(
    con: duckdb.DuckDBPyConnection, source: Source, landing_url: str, raw_dir: Path, run_id: str
) -> ExtractSummary:
    """Take every unsettled file of ``source``; record each in ``meta.manifest``. Idempotent."""
    listing = list_landing(landing_url, source.name, source.datasets)
    todo = files_to_take(listing, known_files(con, source.name))
    taken = duplicates = 0
    for f in todo:
        sha, archived = take(f.url, raw_dir, source.name, f.dataset)
        fid = file_id_for(f.url, sha)
        previous = con.execute(
            "select file_id, status from meta.manifest where file_id = ?", [fid]
        ).fetchone()
        if previous and previous[1] != "error":
            continue  # same URL, same content: only its timestamp changed
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
                f.source,
                f.dataset,
                f.url,
                f.name,
                f.size,
                f.modified,
                sha,
                str(archived),
                file_date(f.name),
                *covered_period(source, f.name),
                status,
                same_content[0] if same_content else None,
                run_id,
                datetime.now(),
            ],
        )
        taken += 1
        duplicates += status == "duplicate"
    return ExtractSummary(source.name, len(listing), taken, duplicates)
