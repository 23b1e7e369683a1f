"""Test-only entry point: ``chiso nightly`` whose process is killed (SIGKILL) just before it publishes.

The production flow carries no test hook; this script patches the publish
step in its own process, then runs the real command line.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import warehouse.build  # noqa: E402
from flows.cli import main  # noqa: E402


def _die(*_: object, **__: object) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


warehouse.build.publish = _die  # type: ignore[assignment]
sys.exit(main(["nightly"]))
