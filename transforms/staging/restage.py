"""Re-stage: read a source's archived raw files of a date range again (after a connector fix).

The files were taken into the raw archive when they landed; the manifest
knows each one's archive copy and what its staging gave. Re-staging a file
removes what its last staging left (its rows in ``stg.*``, its per-row
duplicate records) and supersedes its open quarantine rows, then hands it
back to the ordinary staging as ``extracted``: it is read from ``raw/`` with
today's connector and staging rules, in file-date order, and its rows are
accounted for again (read = loaded + quarantined + duplicate). Core tables
are rebuilt from ``stg.*`` by every run, so they follow.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

import duckdb

from transforms.staging.run import Steps
from warehouse.build import table_exists

RESTAGED = ("loaded", "error")  # a whole-file duplicate keeps pointing at the file it repeats


@dataclass(frozen=True)
class ArchivedFile:
    file_id: str
    name: str
    archive_path: str | None
    status: str

    def archived(self) -> bool:
        return bool(self.archive_path) and os.path.exists(str(self.archive_path))


@dataclass
class RestageSummary:
    source: str
    files: int = 0
    rows_removed: int = 0
    quarantine_superseded: int = 0


class RestageError(Exception):
    """A re-stage that cannot be done as asked (archived files gone): nothing was changed."""


def restage_candidates(
    con: duckdb.DuckDBPyConnection, source: str, start: date, end: date
) -> list[ArchivedFile]:
    """The files of ``source`` dated in ``start..end`` that a re-stage reads again; over
    ``date.min..date.max`` (a full rebuild) every file, undated ones too."""
    every = start == date.min and end == date.max
    rows = con.execute(
        """select file_id, name, archive_path, status from meta.manifest
           where source = ? and status in (select unnest(?))
             and (coalesce(file_date, period_start) between ? and ?
                  or (? and coalesce(file_date, period_start) is null))
           order by coalesce(file_date, period_start) nulls last, name""",
        [source, list(RESTAGED), start, end, every],
    ).fetchall()
    return [ArchivedFile(*r) for r in rows]


def mark_for_restage(
    con: duckdb.DuckDBPyConnection,
    source: str,
    steps: Steps,
    start: date,
    end: date,
    run_id: str,
) -> RestageSummary:
    """Undo the last staging of ``source``'s files dated ``start..end``; they stage again next.

    Refuses (``RestageError``, nothing changed) if any of them is gone from the raw archive.
    """
    files = restage_candidates(con, source, start, end)
    gone = [f.name for f in files if not f.archived()]
    if gone:
        raise RestageError(
            f"{source}: {len(gone)} archived file(s) dated {start}..{end} are no longer in raw/ "
            f"({', '.join(gone[:3])}); nothing re-staged"
        )
    summary = RestageSummary(source, files=len(files))
    if not files:
        return summary
    ids = [f.file_id for f in files]
    for table in sorted({step.table for step in steps.values()}):
        if table_exists(con, table):
            summary.rows_removed += con.execute(
                f"delete from {table} where _file_id in (select unnest(?))", [ids]
            ).fetchall()[0][0]
    con.execute("delete from audit.duplicate_row where file_id in (select unnest(?))", [ids])
    summary.quarantine_superseded = con.execute(
        """update audit.quarantine set status = 'superseded', superseded_by_run = ?
           where status = 'open' and file_id in (select unnest(?))""",
        [run_id, ids],
    ).fetchall()[0][0]
    con.execute(
        """update meta.manifest set status = 'extracted', error = null, rows_read = null,
               rows_loaded = null, rows_quarantined = null, rows_duplicate = null, loaded_at = null
           where file_id in (select unnest(?))""",
        [ids],
    )
    return summary
