"""The slice registry: one entry per source system, naming everything that belongs to it.

A source runs through every layer of the pipeline, and each layer keeps its
part of the source in its own folder: the connector in ``sources/<name>/``,
the staging in ``transforms/staging/stg_<name>.py``, the core tables in
``transforms/core/<name>/``, the rules in ``expectations/suites/<name>.py``
with their thresholds in ``expectations/thresholds/<name>.yml``, the
indicators in ``transforms/marts/catalogue/<name>.yml``. This file is the one
place that joins them: nothing is found by its name or by scanning a folder.
Adding a source is its files and one entry here (``CONTRIBUTING-SOURCES.md``).

The simulator is named, not imported: the nightly DAG never loads it; only
seeding a landing zone (``flows/seed.py``) does. Nothing here imports Prefect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from expectations.suites import Suite, ThresholdSet
from expectations.suites import certificates as certificates_rules
from expectations.suites import core as core_rules
from expectations.suites import docs as docs_rules
from expectations.suites import dvc as dvc_rules
from expectations.suites import education as education_rules
from expectations.suites import enterprise as enterprise_rules
from expectations.suites import health as health_rules
from expectations.suites import ict as ict_rules
from expectations.suites import national766 as national766_rules
from expectations.suites import population as population_rules
from expectations.suites import rankings as rankings_rules
from expectations.suites import stats as stats_rules
from expectations.suites import tax as tax_rules
from expectations.suites import telecom as telecom_rules
from expectations.suites import volume as volume_rules
from sources import (
    certificates,
    docs,
    dvc,
    education,
    enterprise,
    health,
    ict,
    national766,
    population,
    rankings,
    stats,
    tax,
    telecom,
)
from sources.base import Source
from transforms.staging import (
    stg_certificates,
    stg_docs,
    stg_dvc,
    stg_education,
    stg_enterprise,
    stg_health,
    stg_ict,
    stg_national766,
    stg_population,
    stg_rankings,
    stg_stats,
    stg_tax,
    stg_telecom,
)
from transforms.staging.run import Steps

REPO = Path(__file__).resolve().parent.parent
CORE = REPO / "transforms" / "core"
CATALOGUE = REPO / "transforms" / "marts" / "catalogue"
THRESHOLDS = REPO / "expectations" / "thresholds"

Rules = Callable[[ThresholdSet], list[Suite]]  # thresholds -> the source's suites


@dataclass(frozen=True)
class Slice:
    """Everything one source system contributes, layer by layer."""

    source: Source  # sources/<name>/: datasets, readers (the connector), cadence
    staging: Steps  # transforms/staging/stg_<name>.py: one step per dataset
    models: Path  # transforms/core/<name>/: one SQL file per core table, run_views/
    rules: Rules  # expectations/suites/<name>.py
    thresholds: Path  # expectations/thresholds/<name>.yml
    catalogue: Path  # transforms/marts/catalogue/<name>.yml
    simulator: str  # module writing the same files (imported only to seed a landing zone)

    @property
    def name(self) -> str:
        return self.source.name


def _slice(source: Source, staging: Steps, rules: Rules, snapshots: tuple[str, ...] = ()) -> Slice:
    """A slice whose files follow the layout (every path is checked by ``check``).

    ``snapshots`` names the datasets whose files are snapshots of a state (a register, a list, an
    inventory as of the file's date); the others are events (``StagingStep.kind``).
    """
    name = source.name
    unknown = set(snapshots) - set(staging)
    if unknown:
        raise ValueError(f"{name}: snapshot datasets {sorted(unknown)} have no staging step")
    return Slice(
        source=source,
        staging={
            d: replace(s, kind="snapshot") if d in snapshots else s for d, s in staging.items()
        },
        models=CORE / name,
        rules=rules,
        thresholds=THRESHOLDS / f"{name}.yml",
        catalogue=CATALOGUE / f"{name}.yml",
        simulator=f"sources.{name}.simulator",
    )


SLICES: dict[str, Slice] = {
    s.name: s
    for s in [
        _slice(dvc.SOURCE, stg_dvc.STEPS, dvc_rules.suites, ("procedure", "provision")),
        _slice(docs.SOURCE, stg_docs.STEPS, docs_rules.suites),
        _slice(stats.SOURCE, stg_stats.STEPS, stats_rules.suites),
        _slice(enterprise.SOURCE, stg_enterprise.STEPS, enterprise_rules.suites),
        _slice(tax.SOURCE, stg_tax.STEPS, tax_rules.suites, ("store",)),
        _slice(population.SOURCE, stg_population.STEPS, population_rules.suites, ("age_band",)),
        _slice(certificates.SOURCE, stg_certificates.STEPS, certificates_rules.suites),
        _slice(telecom.SOURCE, stg_telecom.STEPS, telecom_rules.suites, ("household", "coverage")),
        _slice(
            education.SOURCE,
            stg_education.STEPS,
            education_rules.suites,
            ("institution", "enrolment"),
        ),
        _slice(health.SOURCE, stg_health.STEPS, health_rules.suites, ("facility",)),
        _slice(ict.SOURCE, stg_ict.STEPS, ict_rules.suites, ("system",)),
        _slice(rankings.SOURCE, stg_rankings.STEPS, rankings_rules.suites, ("dti", "ict")),
        _slice(national766.SOURCE, stg_national766.STEPS, national766_rules.suites),
    ]
}
"""Every source system, in the order the nightly takes them."""

SHARED_MODELS = CORE / "shared"  # dimensions and delivery facts every source joins
SHARED_THRESHOLDS = (THRESHOLDS / "core.yml", THRESHOLDS / "volume.yml")


class UnknownSourceError(ValueError):
    """A source name that is not in the registry."""


def select(names: Iterable[str] | None) -> list[Slice]:
    """The slices named (all when ``names`` is None or empty), in registry order."""
    wanted = list(names or [])
    unknown = sorted(set(wanted) - set(SLICES))
    if unknown:
        raise UnknownSourceError(f"unknown source(s) {unknown}; known: {', '.join(SLICES)}")
    return [s for s in SLICES.values() if not wanted or s.name in wanted]


def sources(slices: Iterable[Slice] | None = None) -> dict[str, Source]:
    return {s.name: s.source for s in (SLICES.values() if slices is None else slices)}


def model_folders(slices: Iterable[Slice] | None = None) -> list[Path]:
    """The core folders: the shared one, then each slice's (all slices by default)."""
    return [SHARED_MODELS, *(s.models for s in (SLICES.values() if slices is None else slices))]


def run_view_folders(slices: Iterable[Slice] | None = None) -> dict[str, Path]:
    """Source name -> its core folder, whose ``run_views/`` are the run-scoped views."""
    return {s.name: s.models for s in (SLICES.values() if slices is None else slices)}


def threshold_files(slices: Iterable[Slice] | None = None) -> list[Path]:
    chosen = SLICES.values() if slices is None else slices
    return [*SHARED_THRESHOLDS, *(s.thresholds for s in chosen)]


def catalogue_files(slices: Iterable[Slice] | None = None) -> list[Path]:
    return [s.catalogue for s in (SLICES.values() if slices is None else slices)]


def suites(t: ThresholdSet, slices: Iterable[Slice] | None = None) -> list[Suite]:
    """Every suite: the shared dimensions', each slice's, and each slice's volume rule."""
    chosen = list(SLICES.values() if slices is None else slices)
    return [
        *core_rules.suites(t),
        *(suite for s in chosen for suite in s.rules(t)),
        *volume_rules.suites(t, [s.name for s in chosen]),
    ]


def check() -> list[str]:
    """Problems with the registry's paths (a test keeps this empty)."""
    problems = []
    for s in SLICES.values():
        for what, path in [
            ("models", s.models),
            ("thresholds", s.thresholds),
            ("catalogue", s.catalogue),
        ]:
            if not path.exists():
                problems.append(f"{s.name}: {what} {path} does not exist")
        if set(s.staging) != set(s.source.datasets):
            problems.append(
                f"{s.name}: staging steps {sorted(s.staging)} != datasets {sorted(s.source.datasets)}"
            )
    return problems
