"""A temporary Prefect server for one ``chiso`` command, that dies with the command.

With no ``PREFECT_API_URL``, Prefect starts a temporary server of its own, but
a command killed with SIGKILL leaves that server running, orphaned, forever.
This one is started by the command as a child process that the kernel stops
(SIGTERM) as soon as the command's process dies, however it dies (Linux
``PR_SET_PDEATHSIG``), and that the command stops when it ends. Its database
is Prefect's home under the data home (``data/prefect/``), so flow runs,
their history and ``chiso retry`` carry over from one command to the next.
This module imports nothing of Prefect when it is imported: the API URL must be
in the environment before Prefect loads its settings (``without_heartbeats``
loads Prefect's settings when the flow is about to run).
"""

from __future__ import annotations

import atexit
import ctypes
import encodings.idna  # noqa: F401  (urllib's host codec: loaded here, the warm-up thread imports nothing)
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, NoReturn

STARTUP_SECONDS = 120.0  # a loaded 2-core machine has been seen to need more than Prefect's 20 s
PR_SET_PDEATHSIG = 1


def _die_with(parent: int) -> Callable[[], None]:
    """What the child runs before it becomes the server: ask for SIGTERM when ``parent`` dies."""

    def arm() -> None:
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):  # not Linux: the command's own stop() is all there is
            pass
        if os.getppid() != parent:  # the parent died before the request above took effect
            os._exit(1)

    return arm


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    return _answers(f"{url}/health")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            response.read()
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def ensure_server(timeout: float = STARTUP_SECONDS) -> str:
    """The API URL: ``PREFECT_API_URL`` if set; else start a temporary server for this process,
    set ``PREFECT_API_URL`` to it and wait until it answers (``start_server``)."""
    return start_server()(timeout)


_SERVER: list[subprocess.Popen] = []  # the temporary server this process started, if any


def start_server() -> Callable[..., str]:
    """Start the temporary server and return at once; ``ready(timeout)`` waits until it answers.

    ``PREFECT_API_URL`` is set now, before Prefect loads its settings, so the command can load
    its modules (Prefect, Polars, Great Expectations: seconds) while the server starts on the
    other core, then call ``ready()``. With ``PREFECT_API_URL`` set already, nothing is started.
    The server stops when the process ends: at exit (after Prefect's own exit handlers, which
    still send logs), or at once if the process is killed; ``stop_server`` stops it before.
    """
    if os.environ.get("PREFECT_API_URL"):
        given = os.environ["PREFECT_API_URL"]
        return lambda timeout=STARTUP_SECONDS: given
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "prefect.server.api.server:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "error",
        "--lifespan",
        "on",
    ]
    server = subprocess.Popen(command, env=env, preexec_fn=_die_with(os.getpid()))
    _SERVER.append(server)
    atexit.register(_stop, server)  # registered before Prefect's handlers: runs after them
    os.environ["PREFECT_API_URL"] = url
    started = time.monotonic()
    answering = threading.Event()
    threading.Thread(target=_warm_up, args=(url, server, answering), daemon=True).start()

    def ready(timeout: float = STARTUP_SECONDS) -> str:
        while not answering.wait(0.1):  # set once the server answers, or once it has exited
            if time.monotonic() - started > timeout:
                _stop(server)
                _give_up(url, f"the temporary Prefect server did not start in {timeout:.0f} s")
        if server.poll() is not None:
            _give_up(url, f"the temporary Prefect server exited with {server.returncode}")
        return url

    return ready


def _warm_up(url: str, server: subprocess.Popen, answering: threading.Event) -> None:
    """Wait until the server answers, then send it the request a flow run sends first.

    The server answers its first API request 0.5-0.6 s late (its routes' first use), and the
    flow's engine sends that request (the API version) as it starts. Sent from here, as soon as
    the server is up, that time passes while the command is still loading its modules (2-core
    machine: the flow's call 1.77 s -> 1.40 s once the server had answered one request). A
    thread that only speaks HTTP through modules loaded already: it imports nothing.
    """
    while server.poll() is None and not _healthy(url):
        time.sleep(0.05)
    if server.poll() is None:
        _answers(f"{url}/admin/version")
    answering.set()


def without_heartbeats() -> AbstractContextManager[Any]:
    """Prefect settings for a flow run on this process's temporary server: no heartbeats.

    A flow run's heartbeat thread sleeps a second at a time, and the engine waits for it when
    the run ends: 0 to 1 s at the end of every ``chiso nightly`` (0.66-0.70 s measured), with
    nobody to hear them: the temporary server has no UI and stops with the command. A
    deployment served on a real server keeps them (``PREFECT_FLOWS_HEARTBEAT_FREQUENCY``)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    if not _SERVER:
        return nullcontext()
    return temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})


def _give_up(url: str, why: str) -> NoReturn:
    """Forget the server's URL (nothing answers there) and say why it is not there."""
    if os.environ.get("PREFECT_API_URL") == url:
        del os.environ["PREFECT_API_URL"]
    raise RuntimeError(why)


def stop_server() -> None:
    """Stop the temporary server this process started (a pool worker runs no exit handler)."""
    while _SERVER:
        _stop(_SERVER.pop())


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
