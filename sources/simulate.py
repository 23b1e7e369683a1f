"""Fill a landing zone with every source's simulated extracts (the embedded default)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sources.base import Source


def simulate_landing(
    sources: dict[str, Source],
    landing: Path,
    start: date,
    end: date,
    scale: float,
    seed: int = 190,
    fault_rate: float = 0.0,
    fault_kinds: list[str] | None = None,
) -> dict[str, dict[str, int]]:
    """Run each source's simulator once for these parameters; a repeat call writes nothing.

    A marker file per source records what was simulated, so the nightly run
    on the embedded default simulates the year once and then finds no new
    files, as a real landing zone with no new deliveries would.

    With ``fault_rate`` > 0, that share of the rows each simulator wrote is
    then corrupted with faults of ``fault_kinds`` (all kinds by default) by
    ``sources.faults.inject_faults``; the ledger of what was done, with the
    quarantine rule each row must get, is ``<landing>/_faults.csv``.
    """
    done: dict[str, dict[str, int]] = {}
    params: dict = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "scale": scale,
        "seed": seed,
    }
    if fault_rate > 0:  # a clean landing's markers stay as they were
        from sources.faults import inject_faults, resolve_kinds  # heavy imports, only when asked

        resolve_kinds(fault_kinds)  # an unknown kind is refused before anything is written
        params |= {
            "fault_rate": fault_rate,
            "fault_kinds": sorted(fault_kinds) if fault_kinds else None,
        }
    for name, source in sources.items():
        marker = landing / name / ".simulated.json"
        previous = json.loads(marker.read_text()) if marker.exists() else []
        if params in previous:
            continue
        done[name] = source.simulate(landing, start, end, scale=scale, seed=seed)
        if fault_rate > 0:
            inject_faults(landing, fault_rate, fault_kinds, seed=seed, sources=[name])
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps([*previous, params], indent=1))
    return done
