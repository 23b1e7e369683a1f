"""A temporary Prefect server for one ``chiso`` command, that dies with the command.

With no ``PREFECT_API_URL``, Prefect starts a temporary server of its own, but
a command killed with SIGKILL leaves that server running, orphaned, forever.
This one is started by the command as a child process that the kernel stops
(SIGTERM) as soon as the command's process dies, however it dies (Linux
``PR_SET_PDEATHSIG``), and that the command stops when it ends. Its database
is Prefect's home under the data home (``data/prefect/``), so flow runs,
their history and ``chiso retry`` carry over from one command to the next.
This module imports nothing of Prefect: the API URL must be in the
environment before Prefect loads its settings.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable

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
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def ensure_server(timeout: float = STARTUP_SECONDS) -> str:
    """The API URL: ``PREFECT_API_URL`` if set; else start a temporary server for this process
    and set ``PREFECT_API_URL`` to it. The server stops when the process ends: at exit (after
    Prefect's own exit handlers, which still send logs), or at once if the process is killed."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
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
    atexit.register(_stop, server)  # registered before Prefect's handlers: runs after them
    deadline = time.monotonic() + timeout
    while not _healthy(url):
        if server.poll() is not None:
            raise RuntimeError(f"the temporary Prefect server exited with {server.returncode}")
        if time.monotonic() > deadline:
            _stop(server)
            raise RuntimeError(f"the temporary Prefect server did not start in {timeout:.0f} s")
        time.sleep(0.2)
    os.environ["PREFECT_API_URL"] = url
    return url


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
