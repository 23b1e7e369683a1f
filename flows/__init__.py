"""Orchestration: the only layer that imports Prefect.

Importing this package sets Prefect's environment defaults (its home under
the data home, no telemetry: this machine has no internet) before Prefect
itself is imported.
"""

import os

from flows.settings import load_settings as _load_settings

_home = _load_settings().home
(_home / "prefect").mkdir(parents=True, exist_ok=True)
os.environ.setdefault("PREFECT_HOME", str(_home / "prefect"))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_RESULTS_PERSIST_BY_DEFAULT", "true")
os.environ.setdefault("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", "0.5")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
