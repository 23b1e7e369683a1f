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

    ``chiso nightly`` starts it while Prefect's temporary server starts (``flows.cli``), a wait
    that leaves this process idle; the checks find GX loaded, or wait for it on the module's
    import lock. Nothing else imports GX before it builds a rule.
    """
    thread = threading.Thread(target=_import_checker, name="preload-checker", daemon=True)
    thread.start()
    return thread
