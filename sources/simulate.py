"""Fill a landing zone with every source's simulated extracts (the embedded default)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sources.base import Source


def simulate_landing(
    sources: dict[str, Source], landing: Path, start: date, end: date, scale: float, seed: int = 190
) -> dict[str, dict[str, int]]:
    """Run each source's simulator once for these parameters; a repeat call writes nothing.

    A marker file per source records what was simulated, so the nightly run
    on the embedded default simulates the year once and then finds no new
    files, as a real landing zone with no new deliveries would.
    """
    done: dict[str, dict[str, int]] = {}
    params = {"start": start.isoformat(), "end": end.isoformat(), "scale": scale, "seed": seed}
    for name, source in sources.items():
        marker = landing / name / ".simulated.json"
        previous = json.loads(marker.read_text()) if marker.exists() else []
        if params in previous:
            continue
        done[name] = source.simulate(landing, start, end, scale=scale, seed=seed)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps([*previous, params], indent=1))
    return done
