"""Pull the one-stop system's dossiers through the provincial integration platform (LGSP).

The platform exchanges app credentials (AppName / AccessKey / SecretKey, from
the environment: ``constants.API_ENV``) for a bearer token that expires;
``LgspAuth`` gets one, renews it shortly before it expires and once more when
a call answers 401 (a 401 even with the new token is retried like a 5xx;
credentials the token endpoint refuses fail at once). The dossier list (``constants.API_DOSSIER_PATH``) is read
one day at a time, the window ``[day 00:00, next day 00:00)`` of the records'
update time, in pages (``page``/``pageSize``; the answer carries
``totalPages``/``totalRecords``).

What can go wrong, and what is done (``sources.http.RetryPolicy`` for retries):

- timeouts, cut connections, a body cut short, 429 and 5xx: the page is asked
  again, waiting what ``Retry-After`` says, else backing off;
- a page that is not what was asked (wrong page number, wrong record count, not
  JSON, the same records as the page before): asked again;
- the window's record count changes between pages (records synchronised while
  we read, which shifts every later page by as many rows): the window is read
  again from its first page; pages already taken stay (staging drops rows it
  already holds), so nothing is lost and nothing loads twice;
- a page that still fails after its retries raises ``PullError``: the pages
  taken before it are kept, and the cursor says where the next try begins.

The cursor (``Cursor``) is saved with every page, by the same call that
records the page (``PageSink``), so it never runs ahead of what was kept. Each
run starts ``overlap_days`` before the last day read whole, so a record
synchronised late with an earlier update time is still read; a page whose
bytes were taken before is recognised by its hash and not taken again.

Nothing here imports Prefect or the warehouse: the sink is given by the caller.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

import httpx

from sources.dvc import constants as c
from sources.http import (
    AuthError,
    BadPage,
    Page,
    PullError,
    RetryableStatus,
    RetryPolicy,
    check_status,
    redact_url,
)

log = logging.getLogger(__name__)

API_FORMAT = "%Y%m%d%H%M%S"
TIMEOUT = httpx.Timeout(
    60.0, connect=10.0
)  # a page of 500 records is ~0.5 MB: a minute is generous


@dataclass(frozen=True)
class Credentials:
    """The app's credentials on the platform. The secret never shows in a repr or a message."""

    app_name: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Credentials:
        missing = [var for var in c.API_ENV.values() if not env.get(var)]
        if missing:
            raise PullError(
                "the dossier API needs its credentials in the environment: "
                + ", ".join(missing)
                + " not set"
            )
        return cls(**{key: env[var] for key, var in c.API_ENV.items()})

    def body(self) -> dict[str, str]:
        return {
            "AppName": self.app_name,
            "AccessKey": self.access_key,
            "SecretKey": self.secret_key,
        }


class LgspAuth(httpx.Auth):
    """Bearer token from the platform: fetched when missing, renewed before expiry and on a 401.

    ``refreshes`` counts the tokens obtained (tests read it). A 401 after a
    fresh token means the platform refuses the app: ``AuthError``.
    """

    requires_response_body = True

    def __init__(
        self,
        token_url: str,
        credentials: Credentials,
        clock: Callable[[], float] = time.monotonic,
        margin: float = 30.0,
    ) -> None:
        self.token_url, self.credentials, self.clock, self.margin = (
            token_url,
            credentials,
            clock,
            margin,
        )
        self._token: str | None = None
        self._expires_at = 0.0
        self.refreshes = 0

    def _token_request(self) -> httpx.Request:
        return httpx.Request("POST", self.token_url, json=self.credentials.body())

    def _store(self, response: httpx.Response) -> None:
        if response.status_code in (400, 401, 403):
            raise AuthError(
                f"{self.token_url}: token refused (HTTP {response.status_code}); check "
                + ", ".join(c.API_ENV.values())
            )
        check_status(response)
        try:
            payload = response.json()
            token, ttl = payload["access_token"], float(payload.get("expires_in") or 300)
        except (ValueError, KeyError, TypeError) as exc:
            raise BadPage(f"{self.token_url}: token answer unreadable ({exc})") from None
        self._token = token
        self._expires_at = self.clock() + ttl - min(self.margin, ttl / 10)
        self.refreshes += 1

    def _fresh(self) -> bool:
        return self._token is not None and self.clock() < self._expires_at

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if not self._fresh():
            self._store((yield self._token_request()))
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401:  # expired or revoked early: one new token, one more try
            self._store((yield self._token_request()))
            request.headers["Authorization"] = f"Bearer {self._token}"
            response = yield request
            if response.status_code == 401:  # the platform took the credentials but not the token:
                raise RetryableStatus(redact_url(str(request.url)), 401, None)  # retried, bounded


@dataclass(frozen=True)
class Cursor:
    """Where the pull stands: the last day read whole, and the day in progress with its next page."""

    done_through: date | None = None
    day: date | None = None
    next_page: int = 1
    total_records: int | None = None  # the day's record count when its first page was read

    def to_json(self) -> str:
        return json.dumps(
            {
                "done_through": self.done_through.isoformat() if self.done_through else None,
                "day": self.day.isoformat() if self.day else None,
                "next_page": self.next_page,
                "total_records": self.total_records,
            }
        )

    @classmethod
    def from_json(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        d = json.loads(text)
        return cls(
            date.fromisoformat(d["done_through"]) if d.get("done_through") else None,
            date.fromisoformat(d["day"]) if d.get("day") else None,
            int(d.get("next_page") or 1),
            d.get("total_records"),
        )


class PageSink(Protocol):
    """Keeps one page (raw archive + manifest) and the cursor after it, in one transaction."""

    def __call__(self, page: Page, day: date, cursor: Cursor, /) -> None: ...


def window(day: date) -> dict[str, str]:
    """The request parameters of one day's window of update times, ``[day, day + 1)``."""
    start = datetime(day.year, day.month, day.day)
    return {
        "fromDate": start.strftime(API_FORMAT),
        "toDate": (start + timedelta(days=1)).strftime(API_FORMAT),
    }


def page_name(day: date, page: int) -> str:
    """The name a page is archived and listed under; the day stamped last, as in file names."""
    return f"hoso-api-p{page:04d}_{day:%Y%m%d}.json"


class WindowChanged(Exception):
    """The day's record count changed while its pages were read."""


class DossierApi:
    """The platform's dossier list, one validated page at a time, with the retry policy applied."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        page_size: int = c.API_PAGE_SIZE,
        timeout: httpx.Timeout | float = TIMEOUT,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size
        self.policy = policy or RetryPolicy()
        self.auth = LgspAuth(self.base_url + c.API_TOKEN_PATH, credentials, clock=clock)
        self.client = httpx.Client(timeout=timeout, auth=self.auth, transport=transport)
        self.retries = 0

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> DossierApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _log_retry(self, attempt: int, exc: BaseException, wait: float) -> None:
        self.retries += 1
        log.warning(
            "dossier API attempt %d failed (%s); trying again in %.1f s", attempt, exc, wait
        )

    def fetch_page(self, day: date, page: int, previous: Page | None = None) -> Page:
        """Page ``page`` of ``day``'s window, validated; retried by the policy."""
        params = {**window(day), "page": str(page), "pageSize": str(self.page_size)}
        url = str(httpx.URL(self.base_url + c.API_DOSSIER_PATH, params=params))
        for attempt in self.policy.retrying(self._log_retry):
            with attempt:
                response = self.client.get(url)
                check_status(response)
                return validate_page(url, params, response, self.page_size, previous)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    def pages(
        self, day: date, start_page: int = 1, expected_total: int | None = None
    ) -> Iterator[Page]:
        """Every page of ``day`` from ``start_page``; ``WindowChanged`` if its count moves meanwhile."""
        page, previous, total = start_page, None, expected_total
        while True:
            got = self.fetch_page(day, page, previous)
            if total is not None and got.total_records != total:
                raise WindowChanged(f"{day}: {total} records at first, {got.total_records} now")
            total = got.total_records
            yield got
            if page >= got.total_pages:
                return
            page, previous = page + 1, got


def validate_page(
    url: str,
    params: Mapping[str, str],
    response: httpx.Response,
    page_size: int,
    previous: Page | None,
) -> Page:
    """The answer as a ``Page``, or ``BadPage`` saying why it cannot be the page asked for."""
    where = f"{redact_url(url)}"
    body = response.content
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise BadPage(f"{where}: not JSON ({exc}); the answer may be cut short") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise BadPage(f"{where}: no 'data' list in the answer")
    try:
        page = int(payload["page"])
        total_pages = int(payload["totalPages"])
        total = int(payload["totalRecords"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BadPage(f"{where}: paging fields missing or unreadable ({exc})") from None
    asked = int(params["page"])
    records = payload["data"]
    if page != asked:
        raise BadPage(f"{where}: answered page {page} for page {asked}")
    expected = max(0, min(page_size, total - (asked - 1) * page_size))
    if len(records) != expected:
        raise BadPage(
            f"{where}: {len(records)} records where page {asked} of {total} should hold {expected}"
        )
    if not all(isinstance(r, dict) for r in records):
        raise BadPage(f"{where}: a record is not a JSON object")
    keys = tuple(_keys(records))
    if previous is not None and records and keys == previous.keys:
        raise BadPage(f"{where}: page {asked} repeats page {previous.page}")
    return Page(
        url=redact_url(url),
        params=dict(params),
        body=body,
        status_code=response.status_code,
        fetched_at=datetime.now(UTC),
        page=page,
        total_pages=total_pages,
        total_records=total,
        records=len(records),
        keys=keys,
    )


def _keys(records: list[dict]) -> list[tuple[str, str]]:
    return [(str(r.get("MaHoSo")), str(r.get(c.API_UPDATED_FIELD))) for r in records]


@dataclass
class PullSummary:
    days: int = 0
    pages: int = 0
    records: int = 0
    restarts: int = 0  # windows read again because their count moved
    retries: int = 0
    tokens: int = 0


def days_to_pull(cursor: Cursor, first_day: date, last_day: date, overlap_days: int) -> list[date]:
    """The days this run reads: the day in progress (if any) first, then from the overlap on."""
    if cursor.done_through is None:
        start = first_day
    else:
        start = max(first_day, cursor.done_through + timedelta(days=1 - overlap_days))
    days = [start + timedelta(days=i) for i in range((last_day - start).days + 1)]
    if cursor.day is not None and first_day <= cursor.day <= last_day:
        days = [cursor.day, *[d for d in days if d > cursor.day]]
    return days


def pull(
    api: DossierApi,
    cursor: Cursor,
    sink: PageSink,
    first_day: date,
    last_day: date,
    overlap_days: int = 2,
    max_restarts: int = 3,
) -> tuple[Cursor, PullSummary]:
    """Read every day from the cursor (minus the overlap) to ``last_day``; hand each page to ``sink``.

    Returns the final cursor and what was done. Raises ``PullError`` (or the
    last transport error) when a page fails after its retries: every page
    before it has been handed to the sink with its cursor.
    """
    summary = PullSummary()
    for day in days_to_pull(cursor, first_day, last_day, overlap_days):
        resume = cursor.day == day
        start, expected = (cursor.next_page, cursor.total_records) if resume else (1, None)
        for restart in range(max_restarts + 1):
            try:
                for page in api.pages(day, start, expected):
                    last = page.page >= page.total_pages
                    cursor = (
                        Cursor(done_through=max(filter(None, [cursor.done_through, day])))
                        if last
                        else replace(
                            cursor,
                            day=day,
                            next_page=page.page + 1,
                            total_records=page.total_records,
                        )
                    )
                    sink(page, day, cursor)
                    summary.pages += 1
                    summary.records += page.records
                break
            except WindowChanged as exc:
                if restart == max_restarts:
                    raise PullError(
                        f"{day}: the record count kept changing while reading ({exc})"
                    ) from None
                log.warning("dossier API %s; reading the day again from page 1", exc)
                summary.restarts += 1
                start, expected = 1, None
        summary.days += 1
    summary.retries, summary.tokens = api.retries, api.auth.refreshes
    return cursor, summary
