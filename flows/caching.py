"""Cache keys of the nightly's tasks: a retried run reuses a step only if what it reads is the same.

Task results are persisted, and a retry (UI "Retry", ``chiso retry``) gets a
finished task back Cached when its key matches. Prefect's default key is the
task's code, its arguments and the flow run: after an operator fixed the data
and pressed Retry, every step came back Cached and nothing changed. Here each
key also holds what the step reads, taken from the build file when the step
starts (``warehouse/state.py``):

| step | its key also holds |
|---|---|
| extract | the build's generation; the source's files in the landing zone (name, size, time); never reused when the source is pulled from an API |
| stage | the files of the source the build holds (id and content hash) |
| restage | the build's generation |
| build_core | the load state (every file's outcome, the quarantine); the model SQL |
| validate | the load state; rules and thresholds (and ``CHISO_QUALITY``) |
| indicators | the load state; the catalogue and thresholds (and the failed checks, an argument) |

A build made anew (lost a publish race, cleaned up, already published) has a
new generation, so nothing done in the old one is reused. If a key cannot be
computed, it is a fresh random one: the step runs.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prefect.cache_policies import INPUTS, RUN_ID, TASK_SOURCE, CacheKeyFnPolicy, CachePolicy
from prefect.context import TaskRunContext

from flows import registry
from sources.landing import list_landing
from warehouse.build import scalar
from warehouse.state import content_digest, load_fingerprint, read_state, source_files_fingerprint

REPO = Path(__file__).resolve().parent.parent


def _hash(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _generation(build: str) -> str | None:
    return read_state(
        build, lambda con: scalar(con, "select max(generation) from meta.build_generation")
    )


def extract_state(params: dict[str, Any]) -> str:
    settings, source = params["settings"], params["source"]
    if source in pulled_sources(settings):  # an API has no listing to compare: always ask it
        return uuid.uuid4().hex
    listing = list_landing(settings.landing_url, source, registry.SLICES[source].source.datasets)
    return _hash(
        "extract", _generation(params["build"]), [(f.url, f.size, f.modified) for f in listing]
    )


def stage_state(params: dict[str, Any]) -> str:
    source = params["source"]
    return _hash(
        "stage", read_state(params["build"], lambda c: source_files_fingerprint(c, source))
    )


def restage_state(params: dict[str, Any]) -> str:
    return _hash("restage", _generation(params["build"]))


def core_state(params: dict[str, Any]) -> str:
    models = [p for folder in registry.model_folders() for p in folder.rglob("*.sql")]
    return _hash("core", read_state(params["build"], load_fingerprint), content_digest(models))


def validate_state(params: dict[str, Any]) -> str:
    settings = params["settings"]
    rules = [
        *registry.threshold_files(),
        *sorted((REPO / "expectations" / "suites").glob("*.py")),
        *([settings.quality_file] if settings.quality_file else []),
    ]
    return _hash("validate", read_state(params["build"], load_fingerprint), content_digest(rules))


def indicators_state(params: dict[str, Any]) -> str:
    settings = params["settings"]
    rules = [  # the catalogue, and the thresholds of the marts' own checks (766 tolerance)
        *registry.catalogue_files(),
        *registry.threshold_files(),
        *([settings.quality_file] if settings.quality_file else []),
    ]
    return _hash("indicators", read_state(params["build"], load_fingerprint), content_digest(rules))


PACKAGES = ("flows", "sources", "transforms", "expectations", "warehouse")
DEFINITION_SUFFIXES = {".py", ".sql", ".yml", ".yaml", ".csv", ".json"}


def definitions_fingerprint(settings: Any) -> str:
    """A digest of everything but the data that makes the published values: the code, the SQL,
    the rules and thresholds (and ``CHISO_QUALITY``), the catalogue, the reference data. A night
    with no new file and the same digest has nothing to recompute."""
    files = sorted(
        path
        for package in PACKAGES
        for path in (REPO / package).rglob("*")
        if path.suffix in DEFINITION_SUFFIXES and "__pycache__" not in path.parts
    )
    h = hashlib.sha256()
    for path in files:  # named relative to the checkout: the same code anywhere, the same digest
        h.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    quality = [settings.quality_file] if settings.quality_file else []
    h.update(content_digest(quality).encode())
    return h.hexdigest()


def pulled_sources(settings: Any) -> set[str]:
    """Sources whose extract pulls from an API (``CHISO_DVC_API_URL``, ``CHISO_NATIONAL766_URL``)."""
    return {
        name
        for name, url in [("dvc", settings.dvc_api_url), ("national766", settings.national766_url)]
        if url
    }


def _never_fails(state: Callable[[dict[str, Any]], str]) -> Callable[..., str]:
    def key(_: TaskRunContext, params: dict[str, Any]) -> str:
        try:
            return state(params)
        except Exception:  # noqa: BLE001 - unknown state: a key nothing else has, so the step runs
            return uuid.uuid4().hex

    return key


def reads(state: Callable[[dict[str, Any]], str], besides: str | None = None) -> CachePolicy:
    """The cache policy of a step whose key also holds ``state`` (what it reads). ``besides``:
    a parameter left out of the key (a step running beside it: its result is not an input)."""
    inputs = INPUTS - besides if besides else INPUTS
    return TASK_SOURCE + inputs + RUN_ID + CacheKeyFnPolicy(cache_key_fn=_never_fails(state))
