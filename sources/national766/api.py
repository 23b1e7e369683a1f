"""Pull the national portal's public 766 figures: every endpoint, period and page, as received.

Public endpoints, no credentials. For each month, quarter and year of the
range, each group endpoint is asked with the province the portal publishes
the plan's area under in that period (``constants.province_for``), page by
page (``currentPage``/``pageSize``). Every answer is handed to the sink as a
``Page``, to be archived raw and recorded like a file; an answer whose bytes
were taken before (same URL, same content) is recognised there and not taken
again, so each run re-reads the whole range and only revisions load.
Retries, ``Retry-After`` and timeouts as for the dossier API
(``sources.http.RetryPolicy``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import httpx

from sources.http import BadPage, Page, RetryPolicy, check_status, redact_url
from sources.national766 import constants as c
from sources.national766.figures import periods_between
from sources.national766.periods import page_name

log = logging.getLogger(__name__)
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


@dataclass(frozen=True)
class Request766:
    group: str
    time_type: str
    start: date
    end: date
    province: str

    def params(self, page: int, page_size: int) -> dict[str, str]:
        p = {"timeType": self.time_type, "year": str(self.start.year)}
        if self.time_type == "quarter":
            p["quarter"] = str((self.start.month - 1) // 3 + 1)
        if self.time_type == "month":
            p["month"] = str(self.start.month)
        return p | {
            "provinceCode": self.province,
            "currentPage": str(page),
            "pageSize": str(page_size),
        }


def requests_for(first: date, last: date) -> list[Request766]:
    """Every (endpoint, period) overlapping ``first..last``."""
    return [
        Request766(group, time_type, start, end, c.province_for(end)[0])
        for time_type, start, end in periods_between(first, last)
        for group in c.GROUPS
    ]


def stamped_name(request: Request766, page: Page) -> str:
    """The page's name: its period, and a date no later than the figures' own date."""
    items = json.loads(page.body)["data"]["items"]
    stamps = [str(i.get("updatedAt") or "")[:10] for i in items if i.get("updatedAt")]
    as_of = min([date.fromisoformat(s) for s in stamps if len(s) == 10] or [page.fetched_at.date()])
    return page_name(
        request.group, request.time_type, request.start, min(request.end, as_of), page.page
    )


class PortalApi:
    def __init__(
        self,
        base_url: str,
        *,
        page_size: int = c.PAGE_SIZE,
        timeout: httpx.Timeout | float = TIMEOUT,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size
        self.policy = policy or RetryPolicy()
        self.client = httpx.Client(timeout=timeout, transport=transport)
        self.retries = 0

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> PortalApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _log_retry(self, attempt: int, exc: BaseException, wait: float) -> None:
        self.retries += 1
        log.warning("766 API attempt %d failed (%s); trying again in %.1f s", attempt, exc, wait)

    def fetch_page(self, request: Request766, page: int) -> Page:
        params = request.params(page, self.page_size)
        url = str(httpx.URL(self.base_url + c.API_PATH.format(group=request.group), params=params))
        for attempt in self.policy.retrying(self._log_retry):
            with attempt:
                response = self.client.get(url)
                check_status(response)
                return validate_answer(url, params, response, self.page_size)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    def pages(self, request: Request766) -> Iterator[Page]:
        page = 1
        while True:
            got = self.fetch_page(request, page)
            yield got
            if page >= got.total_pages:
                return
            page += 1


def validate_answer(
    url: str, params: dict[str, str], response: httpx.Response, page_size: int
) -> Page:
    where = redact_url(url)
    try:
        payload = json.loads(response.content)
        data = payload["data"]
        items = data["items"]
        page, pages, total = (
            int(data["currentPage"]),
            int(data["totalPages"]),
            int(data["totalItems"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise BadPage(f"{where}: not a 766 answer ({exc}); it may be cut short") from None
    if payload.get("success") is False:
        raise BadPage(f"{where}: the portal answered success=false ({payload.get('message')})")
    asked = int(params["currentPage"])
    expected = max(0, min(page_size, total - (asked - 1) * page_size))
    if page != asked or not isinstance(items, list) or len(items) != expected:
        raise BadPage(f"{where}: page {page} with {len(items)} items for page {asked} of {total}")
    return Page(
        url=where,
        params=params,
        body=response.content,
        status_code=response.status_code,
        fetched_at=datetime.now(UTC),
        page=page,
        total_pages=pages,
        total_records=total,
        records=len(items),
    )


def pull(
    api: PortalApi,
    sink: Callable[[Page, Request766, None], None],
    first: date,
    last: date,
) -> dict[str, int]:
    """Every answer of the range to ``sink``; raises after a page's retries are spent."""
    done = {"requests": 0, "pages": 0, "items": 0}
    for request in requests_for(first, last):
        for page in api.pages(request):
            sink(page, request, None)
            done["pages"] += 1
            done["items"] += page.records
        done["requests"] += 1
    done["retries"] = api.retries
    return done
