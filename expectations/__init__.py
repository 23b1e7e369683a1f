"""The rules: Great Expectations suites per table (``suites/``), run inside DuckDB, and the gate."""

from __future__ import annotations

import importlib
import threading

CHECKER = "expectations.run"  # the module that runs the checks: GX, SQLAlchemy, the DuckDB dialect


def _import_checker() -> None:
    try:
        importlib.import_module(CHECKER)
    except Exception:  # noqa: BLE001 - the step that checks imports it again and says why
        pass


def preload() -> threading.Thread:
    """Start importing the checker (Great Expectations: about 2 s of Python) in a background
    thread, and return the thread.

    The nightly starts it once it knows the night has work: the import then runs beside the
    steps before the checks (copying the warehouse, taking and staging files: the disk's and
    DuckDB's time, which leave Python free), and the checks find it loaded, or wait for it on
    the module's import lock. A night with nothing new never imports GX.
    """
    thread = threading.Thread(target=_import_checker, name="preload-checker", daemon=True)
    thread.start()
    return thread
