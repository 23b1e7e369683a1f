"""Seeding the landing zone for the embedded default: simulators, then (optionally) faults on purpose.

This is the fake side of the landing zone, chosen in one place (the
``simulate`` setting): the simulators write the files the real systems
export, the fault injector corrupts a share of their rows through the real
staging's eyes, and the nightly then reads the landing zone exactly as it
reads a real one. The nightly DAG imports this module only when simulating.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prefect import task

from flows import registry
from flows.settings import Settings
from sources.simulate import simulate_landing
from transforms.staging.scratch import Fates, row_fates


@dataclass(frozen=True)
class RealStaging:
    """The real staging, as the fault injector sees it (``sources.faults.Staging``)."""

    def fates(self, landing: Path, source: str) -> Fates:
        part = registry.SLICES[source]
        return row_fates(landing, part.source, part.staging)

    def key_field(self, source: str, dataset: str) -> str | None:
        key = registry.SLICES[source].staging[dataset].key
        return key[0] if key else None


def seed_landing(settings: Settings, names: list[str]) -> dict[str, dict[str, int]]:
    """Simulate ``names``' extracts for the settings' date range and scale; inject faults if asked."""
    chosen = registry.select(names)
    landing = Path(settings.landing_url)
    after = None
    extra: dict[str, object] = {}
    if settings.sim_fault_rate > 0:  # a clean landing's markers stay as they were
        from sources.faults import inject_faults, resolve_kinds

        kinds = list(settings.sim_fault_kinds) if settings.sim_fault_kinds else None
        resolve_kinds(kinds)  # an unknown kind is refused before anything is written
        extra = {
            "fault_rate": settings.sim_fault_rate,
            "fault_kinds": sorted(kinds) if kinds else None,
        }

        def after(name: str) -> None:
            inject_faults(
                landing,
                settings.sim_fault_rate,
                registry.sources(),
                RealStaging(),
                kinds,
                seed=190,
                sources=[name],
            )

    return simulate_landing(
        {s.name: s.simulator for s in chosen},
        landing,
        settings.sim_start,
        settings.sim_end,
        settings.sim_scale,
        after=after,
        marker_extra=extra,
    )


@task(task_run_name="seed-landing")
def seed(settings: Settings, names: list[str]) -> dict[str, dict[str, int]]:
    return seed_landing(settings, names)
