"""Before any task: what the run is asked to do, checked once, in one line if it cannot.

The nightly's parameters (shown in the Prefect UI's Custom run form) default
to the environment's settings; ``plan_run`` joins the two and checks them,
``check_inputs`` checks that the landing zone and the archived files the run
needs are there. A problem is a ``PreflightError`` (a ``SettingsError``): one
line naming the setting or parameter and its value. It is a configuration
problem, not a transient one: the run fails at once, with no retry and no task
started, and ``chiso`` prints the line and exits 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from flows import registry
from flows.settings import Settings, SettingsError
from sources.landing_check import LandingError, check_landing
from transforms.staging.restage import restage_candidates
from warehouse.build import connect

SOURCE_NAMES = list(registry.SLICES)

SourceName = Annotated[
    str, Field(json_schema_extra={"enum": SOURCE_NAMES}, description="a registered source")
]
"""A source's name; the UI offers the registered ones to pick from."""


class PreflightError(SettingsError):
    """The run cannot start as asked: one line naming the setting or parameter and its value."""


class RestagePeriod(BaseModel):
    """Re-read the archived raw files of some sources for a date range (after a connector fix).

    The files of these sources whose file date is in the range are staged again
    from ``raw/``: their previously staged rows are replaced, their rows still
    balance, and the quarantine rows of their old staging are superseded.
    """

    sources: list[SourceName] = Field(
        min_length=1, description="sources whose archived files are staged again"
    )
    start: date = Field(description="first file date (the date in the file's name), inclusive")
    end: date = Field(description="last file date, inclusive")

    @model_validator(mode="after")
    def _ordered(self) -> RestagePeriod:
        if self.end < self.start:
            raise ValueError(f"restage end {self.end} is before its start {self.start}")
        return self


@dataclass(frozen=True)
class RunPlan:
    """What one run does: its sources, whether it simulates first, what it re-stages."""

    sources: list[str]
    simulate: bool
    restage: RestagePeriod | None = None
    notes: list[str] = field(default_factory=list)
    full: bool = False  # every archived file of the run's sources staged again


EVERY_DATE = (date.min, date.max)  # a re-stage over these takes every file, undated ones too


def _known(names: list[str], said: str) -> None:
    unknown = sorted(set(names) - set(SOURCE_NAMES))
    if unknown:
        raise PreflightError(
            f"{said}: unknown source(s) {unknown}; known: {', '.join(SOURCE_NAMES)}"
        )


def plan_run(
    settings: Settings,
    sources: list[str] | None = None,
    simulate: bool | None = None,
    restage: RestagePeriod | dict | None = None,
    full: bool = False,
) -> RunPlan:
    """Join the run's parameters with the settings (parameters win); check the names.

    A re-staged source is run even if it is not among ``sources``. ``full``: every archived
    file of the run's sources is staged again (a full rebuild; the nightly is incremental).
    """
    if full and restage is not None:
        raise PreflightError(
            "parameters full and restage together: a full rebuild re-stages every file already"
        )
    if sources:
        _known(list(sources), f"parameter sources={list(sources)}")
        names = list(sources)
    else:
        names = list(settings.sources or [])
        _known(names, f"CHISO_SOURCES={','.join(names)!r}")
    if restage is not None and not isinstance(restage, RestagePeriod):
        try:
            restage = RestagePeriod.model_validate(restage)
        except ValueError as exc:
            raise PreflightError(f"parameter restage={restage!r}: {_first_error(exc)}") from None
    notes: list[str] = []
    if restage is not None:
        _known(list(restage.sources), f"parameter restage.sources={list(restage.sources)}")
        extra = [s for s in restage.sources if names and s not in names]
        if extra:
            notes.append(f"re-staged source(s) {extra} added to the run")
            names += extra
    chosen = [s.name for s in registry.select(names)]
    if full:
        restage = RestagePeriod(sources=chosen, start=EVERY_DATE[0], end=EVERY_DATE[1])
        notes.append(f"full rebuild: every archived file of {', '.join(chosen)} staged again")
    return RunPlan(
        sources=chosen,
        simulate=bool(settings.simulate if simulate is None else simulate),
        restage=restage,
        notes=notes,
        full=full,
    )


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ()))
        return f"{where + ': ' if where else ''}{first['msg']}".removeprefix("Value error, ")
    return str(exc)


def check_inputs(settings: Settings, plan: RunPlan, seeded: bool = False) -> None:
    """The landing zone is there and readable (once seeded, if the run fills it), the data home
    is writable, a threshold override is valid, and every archived file a re-stage needs is
    still in ``raw/``."""
    if not plan.simulate or seeded:
        try:
            check_landing(settings.landing_url, plan.sources)
        except LandingError as exc:
            raise PreflightError(f"CHISO_LANDING_URL={settings.landing_url!r}: {exc}") from None
    try:
        settings.home.mkdir(parents=True, exist_ok=True)
        settings.build_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PreflightError(
            f"CHISO_HOME={str(settings.home)!r}: cannot write there: {exc}"
        ) from None
    if settings.quality_file is not None:
        check_thresholds(settings)
    if plan.restage is not None:
        check_restage(settings, plan.restage)


def check_thresholds(settings: Settings) -> None:
    """The operator's threshold override (``CHISO_QUALITY``) names known sections and keys."""
    from expectations.run import load_thresholds  # GX: imported only when there is an override

    try:
        load_thresholds(registry.threshold_files(), settings.quality_file)
    except (ValueError, OSError, AttributeError) as exc:
        message = str(exc).replace(f"{settings.quality_file}: ", "")
        raise PreflightError(f"CHISO_QUALITY={str(settings.quality_file)!r}: {message}") from None


def check_restage(settings: Settings, period: RestagePeriod) -> None:
    """Every source of the period has archived files in it, all still in the raw archive."""
    said = f"parameter restage ({', '.join(period.sources)} {period.start}..{period.end})"
    if not settings.warehouse.exists():
        raise PreflightError(f"{said}: nothing is published yet, so nothing can be re-staged")
    con = connect(settings.warehouse, read_only=True)
    try:
        for source in period.sources:
            files = restage_candidates(con, source, period.start, period.end)
            if not files:
                raise PreflightError(f"{said}: {source} has no loaded file dated in the period")
            gone = [f.name for f in files if not f.archived()]
            if gone:
                raise PreflightError(
                    f"{said}: {len(gone)} archived file(s) of {source} are no longer in raw/ "
                    f"({', '.join(gone[:3])}{', ...' if len(gone) > 3 else ''}); nothing re-staged"
                )
    finally:
        con.close()


__all__ = [
    "PreflightError",
    "RestagePeriod",
    "RunPlan",
    "SourceName",
    "check_inputs",
    "plan_run",
]
