"""Fill a landing zone with the sources' simulated extracts (the embedded default, and the tests).

Each source's ``simulator.py`` writes the files its real system exports, in
the same formats, deterministic from a seed. The nightly DAG never imports a
simulator: the embedded default seeds the landing zone first (``flows/seed.py``)
and the nightly then reads it as it would read a real one.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path


def simulator(module: str) -> Callable[..., dict[str, int]]:
    """The ``simulate(landing, start, end, scale=, seed=)`` function of a simulator module."""
    return importlib.import_module(module).simulate


def simulate_landing(
    simulators: Mapping[str, str],
    landing: Path,
    start: date,
    end: date,
    scale: float,
    seed: int = 190,
    after: Callable[[str], object] | None = None,
    marker_extra: Mapping[str, object] | None = None,
) -> dict[str, dict[str, int]]:
    """Run each source's simulator (name -> module) once for these parameters; a repeat call writes nothing.

    A marker file per source records what was simulated, so the nightly run on
    the embedded default simulates the year once and then finds no new files,
    as a real landing zone with no new deliveries would. ``after(name)`` runs
    once a source's files are written (the fault injector), and
    ``marker_extra`` is recorded with the parameters.
    """
    done: dict[str, dict[str, int]] = {}
    params: dict = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "scale": scale,
        "seed": seed,
    }
    params |= dict(marker_extra or {})
    for name, module in simulators.items():
        marker = landing / name / ".simulated.json"
        previous = json.loads(marker.read_text()) if marker.exists() else []
        if params in previous:
            continue
        done[name] = simulator(module)(landing, start, end, scale=scale, seed=seed)
        if after is not None:
            after(name)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps([*previous, params], indent=1))
    return done
