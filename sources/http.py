"""What every HTTP pull connector shares: the retry policy, the errors, and a fetched page.

A page request is retried, by ``RetryPolicy`` (tenacity underneath), when the
failure is one a later attempt can fix: a timeout, a connection cut, an answer
cut mid-body, 429 and 5xx (waiting what ``Retry-After`` says when the server
says it), or a page that fails its own consistency checks. Anything else (400,
403, 404, credentials refused) fails at once with a message naming the URL
and the status, never a credential. Sleeping is injected, so tests assert the
waits without waiting.
"""

from __future__ import annotations

import email.utils
import hashlib
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx
import tenacity

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class PullError(Exception):
    """A pull that cannot go on: the message names the URL and what went wrong (no credential)."""


class RetryableStatus(PullError):
    """An answer worth another try (429, 5xx); carries the server's ``Retry-After`` in seconds."""

    def __init__(self, url: str, status: int, retry_after: float | None) -> None:
        self.status, self.retry_after = status, retry_after
        wait = f", Retry-After {retry_after:g} s" if retry_after is not None else ""
        super().__init__(f"{url}: HTTP {status}{wait}")


class BadPage(PullError):
    """A page that came back whole but wrong (not JSON, cut, repeated, inconsistent): fetched again."""


class AuthError(PullError):
    """Credentials refused or access forbidden: retrying cannot help."""


def retry_after_seconds(
    value: str | None, now: Callable[[], datetime] | None = None
) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date (RFC 9110); None if absent or unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = (now or (lambda: datetime.now(UTC)))()
    return max(0.0, (when - current).total_seconds())


def check_status(response: httpx.Response) -> None:
    """Raise the right error for a failed answer; return for 2xx."""
    url = redact_url(str(response.request.url))
    if response.is_success:
        return
    if response.status_code in RETRYABLE_STATUS:
        raise RetryableStatus(
            url, response.status_code, retry_after_seconds(response.headers.get("Retry-After"))
        )
    if response.status_code in (401, 403):
        raise AuthError(f"{url}: HTTP {response.status_code} (access refused)")
    raise PullError(f"{url}: HTTP {response.status_code}")


SECRET_PARAMS = ("key", "secret", "token", "password", "signature")


def redact_url(url: str) -> str:
    """A URL as it may be logged or stored: query parameters that look like secrets masked."""
    parsed = httpx.URL(url)
    if not parsed.query:
        return url
    params = [
        (k, "***" if any(s in k.lower() for s in SECRET_PARAMS) else v)
        for k, v in parsed.params.multi_items()
    ]
    return str(parsed.copy_with(query=urlencode(params).encode()))


@dataclass(frozen=True)
class RetryPolicy:
    """How a page request is retried: attempts, exponential backoff with jitter, ``Retry-After``.

    ``wait_seconds`` is the whole rule, so tests can assert it: a server's
    ``Retry-After`` is honoured exactly (no jitter added) up to
    ``max_retry_after``; beyond that the page fails rather than stall the
    night; otherwise ``initial * 2**(n-1)`` capped at ``maximum``, plus up to
    ``jitter`` seconds of random spread so many clients do not retry in step.
    """

    attempts: int = 6
    initial: float = 0.5
    maximum: float = 30.0
    jitter: float = 0.5
    max_retry_after: float = 300.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def is_retryable(self, exc: BaseException) -> bool:
        if isinstance(exc, RetryableStatus):
            return exc.retry_after is None or exc.retry_after <= self.max_retry_after
        return isinstance(exc, httpx.TimeoutException | httpx.TransportError | BadPage)

    def wait_seconds(self, attempt: int, exc: BaseException | None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based) that raised ``exc``."""
        if isinstance(exc, RetryableStatus) and exc.retry_after is not None:
            return exc.retry_after
        exponential = min(self.maximum, self.initial * 2 ** (attempt - 1))
        return exponential + random.uniform(0, self.jitter)

    def retrying(self, on_retry: Callable[[int, BaseException, float], None] | None = None):  # noqa: ANN201 - tenacity.Retrying
        """A ``tenacity.Retrying`` that applies this policy (use: ``for attempt in policy.retrying(): with attempt: ...``)."""

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            return self.wait_seconds(state.attempt_number, exc)

        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            if on_retry and exc is not None and state.next_action:
                on_retry(state.attempt_number, exc, state.next_action.sleep)

        return tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.attempts),
            wait=wait,
            retry=tenacity.retry_if_exception(self.is_retryable),
            sleep=self.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )


@dataclass(frozen=True)
class Page:
    """One answer of a paged list call, as received, with what identifies it."""

    url: str  # the request URL (method GET), secrets redacted: the page's identity in the manifest
    params: Mapping[str, str]
    body: bytes
    status_code: int
    fetched_at: datetime
    page: int
    total_pages: int
    total_records: int
    records: int
    # what identifies each record of the page, for the connector's own checks (a repeated page)
    keys: tuple[tuple[str, str], ...] = field(default=(), repr=False, compare=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    def request_record(self) -> dict:
        """What the raw archive keeps beside the body: the request and the hash (never a header)."""
        return {
            "method": "GET",
            "url": self.url,
            "params": dict(self.params),
            "status_code": self.status_code,
            "fetched_at": self.fetched_at.isoformat(),
            "sha256": self.sha256,
            "bytes": len(self.body),
            "page": self.page,
            "total_pages": self.total_pages,
            "total_records": self.total_records,
            "records": self.records,
        }
