"""Extract by pulling from an API instead of taking files: the dossier API (LGSP) and the 766 figures.

Each pulled page goes through ``sources.extract.ManifestSink``: archived raw
with its request and hash, recorded in ``meta.manifest`` like a file, one
commit per page with the pull's cursor, so a pull that fails keeps what it
took and the next try starts where it stopped. Call with the connection
outside any transaction. No Prefect here; the flow's extract task calls these.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from sources.base import Source
from sources.dvc import api as dvc_api
from sources.extract import ExtractSummary, ManifestSink, load_cursor
from sources.http import Page, RetryPolicy
from sources.national766 import api as api766

log = logging.getLogger(__name__)


def _dossier_page_name(page: Page, day: date) -> str:
    return dvc_api.page_name(day, page.page)


def _answer_name(page: Page, request: api766.Request766) -> str:
    return api766.stamped_name(request, page)


@dataclass(frozen=True)
class DossierPull:
    """Where and how to pull the dossiers (from the settings)."""

    url: str
    first_day: date
    last_day: date
    overlap_days: int = 2
    page_size: int = dvc_api.c.API_PAGE_SIZE
    timeout: float = 60.0


def pull_dossiers(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    how: DossierPull,
    env: Mapping[str, str],
    raw_dir: Path,
    run_id: str,
    policy: RetryPolicy | None = None,
) -> tuple[ExtractSummary, dvc_api.PullSummary]:
    """Pull the dossier pages from the cursor on; credentials from ``env`` (never logged)."""
    sink = ManifestSink(con, source, "dossier", raw_dir, run_id, _dossier_page_name)
    cursor = dvc_api.Cursor.from_json(load_cursor(con, source.name, "dossier"))
    credentials = dvc_api.Credentials.from_env(env)
    with dvc_api.DossierApi(
        how.url, credentials, page_size=how.page_size, timeout=how.timeout, policy=policy
    ) as api:
        _cursor, summary = dvc_api.pull(
            api, cursor, sink, how.first_day, how.last_day, how.overlap_days
        )
    log.info("dossier API: %s", summary)
    return ExtractSummary(source.name, sink.pages, sink.taken, sink.duplicates), summary


def pull_766(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    url: str,
    first_day: date,
    last_day: date,
    raw_dir: Path,
    run_id: str,
    policy: RetryPolicy | None = None,
    page_size: int = api766.c.PAGE_SIZE,
) -> ExtractSummary:
    """Pull every 766 answer of the range; pages taken before with the same bytes are skipped."""
    sink = ManifestSink(
        con,
        source,
        "evaluation",
        raw_dir,
        run_id,
        lambda page, request: api766.stamped_name(request, page),
    )
    with api766.PortalApi(url, policy=policy, page_size=page_size) as api:
        done = api766.pull(api, sink, first_day, last_day)
    log.info("766 API: %s", done)
    return ExtractSummary(source.name, sink.pages, sink.taken, sink.duplicates)
