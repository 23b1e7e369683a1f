"""The replica's HTTP application (Starlette): LGSP token and dossier list, national 766 endpoints.

Faults (``Faults``) are counted over data requests (token requests apart),
so a test switches one on and knows which request it hits: "every 3rd" means
requests 3, 6, 9… of the run. ``PUT /_replica/faults`` replaces them,
``GET /_replica/log`` lists the requests served, ``POST /_replica/reset``
clears the log and the counters.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path

import polars as pl
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from sources.dvc import constants as dvc
from sources.dvc.api import API_FORMAT
from sources.national766 import constants as n766
from sources.national766.figures import evaluate, items_for, load_landing, render_page
from sources.portal.store import DossierStore


@dataclass
class Faults:
    """What the replica gets wrong on purpose. ``None``/0 = never."""

    token_ttl: float = 3600.0  # seconds a token lives (announced as expires_in, and enforced)
    expire_tokens_after: int | None = None  # a token stops working after this many data requests
    unauthorized_every: int | None = None  # every Nth data request: 401 with a valid token
    rate_limit_every: int | None = None  # every Nth data request: 429 with Retry-After
    retry_after: float = 2.0
    server_error_every: int | None = None  # every Nth data request: 500
    slow_every: int | None = None  # every Nth data request: answered after slow_seconds
    slow_seconds: float = 2.0
    cut_every: int | None = None  # every Nth data request: the body stops half way
    repeat_every: int | None = None  # every Nth request for a page > 1: the previous page again
    late_records: int = 0  # windows whose late records (1 in 7) appear after their first page
    down_after: int | None = None  # from this data request on, every answer is 503 (an outage)
    shift_766: dict[str, float] = field(default_factory=dict)  # metric -> points added to ratio

    @classmethod
    def from_dict(cls, data: dict) -> Faults:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data)


def parse_faults(items: list[str]) -> Faults:
    """``["rate_limit_every=5", "retry_after=2", "shift_766=satisfaction:5"]`` -> ``Faults``."""
    data: dict = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep:
            raise ValueError(f"fault {item!r}: write name=value")
        if key == "shift_766":
            metric, _, points = value.partition(":")
            data.setdefault(key, {})[metric.strip()] = float(points or 0)
        elif key in ("token_ttl", "retry_after", "slow_seconds"):
            data[key] = float(value)
        else:
            data[key] = int(value)
    return Faults.from_dict(data)


def _every(n: int | None, count: int) -> bool:
    return n is not None and n > 0 and count % n == 0


@dataclass
class _State:
    faults: Faults
    tokens: dict[str, tuple[float, int]] = field(default_factory=dict)  # token -> (issued, uses)
    data_requests: int = 0
    page_requests: int = 0
    log: list[dict] = field(default_factory=list)
    late: dict[str, str] = field(default_factory=dict)  # window -> "hidden" | "revealed"
    served: dict[str, tuple[int, list[bytes]]] = field(default_factory=dict)  # window -> last page
    figures: pl.DataFrame | None = None
    figures_shift: tuple = ()


class _CutBody(Response):
    """An answer that announces its whole length, sends half, and drops the connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(self.body)).encode()),
                ],
            }
        )
        await send(
            {
                "type": "http.response.body",
                "body": self.body[: len(self.body) // 2],
                "more_body": True,
            }
        )
        raise ConnectionAbortedError("replica fault: body cut mid-way")


def create_app(
    landing: str | Path,
    credentials: dict[str, str],
    faults: Faults | None = None,
    clock: Callable[[], float] = time.monotonic,
    hook: Callable[[dict], None] | None = None,
) -> Starlette:
    """The replica over ``landing``; ``credentials`` = {"AppName", "AccessKey", "SecretKey"}.

    ``hook`` is called with every request's log entry once it is answered (tests use it to
    act at a given point of a pull, e.g. kill the client)."""
    store = DossierStore.open(landing)
    state = _State(faults or Faults())

    def note(request: Request, status: int, **extra: object) -> None:
        entry = {
            "path": request.url.path,
            "params": dict(request.query_params),
            "status": status,
            **extra,
        }
        state.log.append(entry)
        if hook is not None:
            hook(entry)

    def generic_fault(request: Request) -> Response | None:
        f, n = state.faults, state.data_requests
        if f.down_after is not None and n >= f.down_after:
            note(request, 503)
            return JSONResponse({"error": "unavailable"}, 503)
        if _every(f.rate_limit_every, n):
            note(request, 429)
            return JSONResponse(
                {"error": "rate_limited"}, 429, headers={"Retry-After": f"{f.retry_after:g}"}
            )
        if _every(f.server_error_every, n):
            note(request, 500)
            return JSONResponse({"error": "internal"}, 500)
        return None

    async def token(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or any(
            not secrets.compare_digest(str(body.get(k, "")), v) for k, v in credentials.items()
        ):
            note(request, 401)
            return JSONResponse({"error": "invalid_client"}, 401)
        value = secrets.token_urlsafe(24)
        state.tokens[value] = (clock(), 0)
        note(request, 200)
        return JSONResponse(
            {"access_token": value, "token_type": "Bearer", "expires_in": state.faults.token_ttl}
        )

    def authorised(request: Request) -> str | None:
        """None if the bearer token is good (and counts the use), else the reason."""
        header = request.headers.get("authorization", "")
        value = header.removeprefix("Bearer ").strip()
        if value not in state.tokens:
            return "invalid_token"
        issued, uses = state.tokens[value]
        f = state.faults
        if clock() - issued > f.token_ttl or (
            f.expire_tokens_after is not None and uses >= f.expire_tokens_after
        ):
            return "token_expired"
        state.tokens[value] = (issued, uses + 1)
        return None

    async def dossiers(request: Request) -> Response:
        state.data_requests += 1
        f, n = state.faults, state.data_requests
        reason = authorised(request)
        if reason is None and _every(f.unauthorized_every, n):
            reason = "token_revoked"
        if reason:
            note(request, 401, error=reason)
            return JSONResponse({"error": reason}, 401)
        if (fault := generic_fault(request)) is not None:
            return fault
        q = request.query_params
        try:
            start = datetime.strptime(q["fromDate"], API_FORMAT)
            end = datetime.strptime(q["toDate"], API_FORMAT)
            page, size = int(q.get("page", "1")), int(q.get("pageSize", str(dvc.API_PAGE_SIZE)))
            if page < 1 or not 1 <= size <= 5000:
                raise ValueError("page >= 1 and 1 <= pageSize <= 5000")
        except (KeyError, ValueError) as exc:
            note(request, 400)
            return JSONResponse({"error": f"bad request: {exc}"}, 400)
        records = store.window(start, end)
        key = f"{q['fromDate']}-{q['toDate']}"
        if f.late_records and state.late.get(key) != "revealed":
            if page == 1 and key not in state.late and len(records) > size:  # more than a page
                state.late[key] = "hidden"
            elif page > 1 and state.late.get(key) == "hidden":
                state.late[key] = "revealed"
                f.late_records -= 1
            if state.late.get(key) == "hidden":
                records = [r for i, r in enumerate(records) if i % 7 != 3]
        lines = [
            b'{"'
            + dvc.API_UPDATED_FIELD.encode()
            + b'":"'
            + r.updated.encode()
            + b'",'
            + r.line[1:]
            for r in records
        ]
        if page > 1:
            state.page_requests += 1
        chunk = lines[(page - 1) * size : page * size]
        last = state.served.get(key)
        repeat = page > 1 and _every(f.repeat_every, state.page_requests) and last is not None
        if repeat and last is not None and last[0] == page - 1:
            chunk = last[1]
        elif repeat:
            repeat = False
        state.served = {key: (page, chunk)}  # only the page just served: a year stays small
        total = len(lines)
        head = {
            "status": "OK",
            "fromDate": q["fromDate"],
            "toDate": q["toDate"],
            "page": page,
            "pageSize": size,
            "totalPages": max(1, -(-total // size)),
            "totalRecords": total,
        }
        body = (
            json.dumps(head, separators=(",", ":")).encode()[:-1]
            + b',"data":['
            + b",".join(chunk)
            + b"]}"
        )
        return await _answer(request, body, len(chunk), "repeat" if repeat else None)

    async def _answer(
        request: Request, body: bytes, records: int, fault: str | None = None
    ) -> Response:
        f, n = state.faults, state.data_requests
        slow = _every(f.slow_every, n)
        if slow:
            await asyncio.sleep(f.slow_seconds)
        if _every(f.cut_every, n):
            note(request, 200, records=records, fault="cut")
            return _CutBody(body)
        fault = fault or ("slow" if slow else None)
        note(request, 200, records=records, **({"fault": fault} if fault else {}))
        return Response(body, 200, media_type="application/json")

    def figures() -> pl.DataFrame:
        shift = tuple(sorted(state.faults.shift_766.items()))
        if state.figures is None or state.figures_shift != shift:
            state.figures = evaluate(load_landing(store.landing), shift=dict(shift))
            state.figures_shift = shift
        return state.figures

    async def evaluation(request: Request) -> Response:
        state.data_requests += 1
        group = request.path_params["group"]
        if group not in n766.GROUPS:
            note(request, 404)
            return JSONResponse({"success": False, "message": f"unknown group {group}"}, 404)
        if (fault := generic_fault(request)) is not None:
            return fault
        q = request.query_params
        try:
            time_type = q["timeType"]
            if time_type not in n766.TIME_TYPES:
                raise ValueError(f"timeType must be one of {n766.TIME_TYPES}")
            year = int(q["year"])
            quarter = int(q["quarter"]) if q.get("quarter") else None
            month = int(q["month"]) if q.get("month") else None
            page = int(q.get("currentPage", "1"))
            size = int(q.get("pageSize", str(n766.PAGE_SIZE)))
            if page < 1 or not 1 <= size <= 100:
                raise ValueError("currentPage >= 1 and 1 <= pageSize <= 100")
        except (KeyError, ValueError) as exc:
            note(request, 400)
            return JSONResponse({"success": False, "message": f"bad request: {exc}"}, 400)
        items = items_for(figures(), group, time_type, year, quarter, month, q.get("provinceCode"))
        return await _answer(request, render_page(items, page, size), len(items))

    async def get_faults(request: Request) -> Response:
        return JSONResponse(asdict(state.faults))

    async def put_faults(request: Request) -> Response:
        try:
            state.faults = Faults.from_dict(await request.json())
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, 400)
        return JSONResponse(asdict(state.faults))

    async def get_log(request: Request) -> Response:
        return JSONResponse(state.log)

    async def reset(request: Request) -> Response:
        state.log.clear()
        state.data_requests = state.page_requests = 0
        state.late.clear()
        state.served.clear()
        return JSONResponse({"ok": True})

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "days": len(store.days)})

    app = Starlette(
        routes=[
            Route(dvc.API_TOKEN_PATH, token, methods=["POST"]),
            Route(dvc.API_DOSSIER_PATH, dossiers, methods=["GET"]),
            Route(n766.API_PATH, evaluation, methods=["GET"]),
            Route("/_replica/faults", get_faults, methods=["GET"]),
            Route("/_replica/faults", put_faults, methods=["PUT"]),
            Route("/_replica/log", get_log, methods=["GET"]),
            Route("/_replica/reset", reset, methods=["POST"]),
            Route("/healthz", health, methods=["GET"]),
        ]
    )
    app.state.replica = state
    app.state.store = store
    return app
