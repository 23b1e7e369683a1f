"""Orchestration: the DAG and the commands around it; the only layer that imports Prefect.

Importing this package sets Prefect's environment defaults (its home under
the data home, no telemetry: this machine has no internet, task results as
JSON rather than pickles) before Prefect itself is imported. It reads only
``CHISO_HOME`` for that, unchecked, so that a bad value of another setting
never breaks ``chiso --help``; the settings are checked once, when a command
needs them. It also makes everything the process creates private to its
account (umask 077: files 0600, folders 0700): the data home holds personal
data in ``raw/``.
"""

import os
from pathlib import Path

os.umask(0o077)
_home = Path(os.environ.get("CHISO_HOME") or Path(__file__).resolve().parent.parent / "data")
os.environ.setdefault("PREFECT_HOME", str(_home.expanduser().resolve() / "prefect"))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_RESULTS_PERSIST_BY_DEFAULT", "true")
os.environ.setdefault("PREFECT_RESULTS_DEFAULT_SERIALIZER", "json")
os.environ.setdefault("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", "0.5")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
