"""Orchestration: the only layer that imports Prefect.

Importing this package sets Prefect's environment defaults (its home under
the data home, no telemetry: this machine has no internet, task results as
JSON rather than pickles) before Prefect itself is imported, and makes
everything the process creates private to its account (umask 077: files
0600, folders 0700): the data home holds personal data in ``raw/``.
"""

import os

from flows.settings import load_settings as _load_settings

os.umask(0o077)
_home = _load_settings().home
os.makedirs(_home / "prefect", mode=0o700, exist_ok=True)
os.environ.setdefault("PREFECT_HOME", str(_home / "prefect"))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_RESULTS_PERSIST_BY_DEFAULT", "true")
os.environ.setdefault("PREFECT_RESULTS_DEFAULT_SERIALIZER", "json")
os.environ.setdefault("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", "0.5")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
