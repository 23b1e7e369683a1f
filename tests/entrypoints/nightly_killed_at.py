"""Test-only entry point: ``chiso nightly``, SIGKILLed at one boundary of the flow (as an
operator's ``kill -9``, an out-of-memory kill or a power cut would).

    python tests/entrypoints/nightly_killed_at.py after:<task>    killed once that task completed
    python tests/entrypoints/nightly_killed_at.py before_replace  killed in publish: audited, not
                                                                  yet replaced

The production flow carries no hook: the tasks of ``flows.nightly`` are given an
``on_completion`` hook here, and ``warehouse.build.publish`` is wrapped.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import flows  # noqa: E402,F401  (Prefect's environment first)


def die(*_: object) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(boundary: str) -> None:
    from prefect import Task

    from flows import nightly as module
    from warehouse import build

    if boundary == "before_replace":
        build.publish = lambda *args, **kwargs: die()  # type: ignore[assignment]
        return
    name = boundary.removeprefix("after:")
    tasks = {attr: obj for attr, obj in vars(module).items() if isinstance(obj, Task)}
    chosen = [attr for attr, obj in tasks.items() if obj.name == name]
    if not chosen:
        raise SystemExit(f"no task {name!r} in flows.nightly; tasks: {sorted(tasks)}")
    for attr in chosen:
        setattr(module, attr, tasks[attr].with_options(on_completion=[die]))


if __name__ == "__main__":
    from flows.cli import main
    from flows.server import ensure_server

    ensure_server()  # before Prefect loads its settings (arm imports Prefect)
    arm(sys.argv[1])
    sys.exit(main(["nightly"]))
