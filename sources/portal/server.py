"""Run the replica: in the foreground (``chiso portal``), or in a thread for a test (``running``)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import uvicorn

from sources.portal.app import Faults, create_app


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def serve(
    landing: str | Path,
    credentials: dict[str, str],
    host: str = "127.0.0.1",
    port: int = 8190,
    faults: Faults | None = None,
) -> None:
    """Serve until interrupted."""
    app = create_app(landing, credentials, faults)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


@contextlib.contextmanager
def running(
    landing: str | Path,
    credentials: dict[str, str],
    faults: Faults | None = None,
    hook: Callable[[dict], None] | None = None,
) -> Iterator[tuple[str, Any]]:
    """(base URL, app) of a replica served in a background thread for the duration of the block."""
    app = create_app(landing, credentials, faults, hook=hook)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the replica did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=10)
