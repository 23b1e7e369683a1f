"""The rules, one module per source (plus ``core`` for the shared dimensions and ``volume``).

Each module has ``suites(thresholds) -> list[Suite]``; the slice registry
(``flows/registry.py``) says which module belongs to which source. Severity
is GX's own: ``critical`` blocks indicators, ``warning`` annotates. What a
failed critical check blocks is data on the suite (``scope``): by default the
suite's table and every indicator that reads it, directly or through the
tables built from it; ``source:<name>`` for a rule about a whole delivery
(every indicator of that source).

Thresholds an operator may tune live in ``expectations/thresholds/<source>.yml``,
one section per module, and nowhere else: the module declares the section's
keys and their types (a ``Thresholds`` model, no defaults in code), the YAML
holds every value, and an operator's ``CHISO_QUALITY`` file overrides some.
A typo in either is one line naming the file, the section and the key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from warehouse.yaml_file import read_yaml

CRITICAL, WARNING = "critical", "warning"
"""GX's severities (``FailureSeverity``'s values: GX turns them into its enum)."""


class _Expectations:
    """``great_expectations.expectations``, imported when the first rule is built.

    GX takes about 2 s to import. The rules are built only by the steps that check (the
    nightly's ``validate`` and ``indicators``): the flow's modules, the preflight and the
    commands that build no rule load without it, and ``chiso nightly`` loads it while the
    temporary server starts (``flows.cli.launch_nightly``)."""

    def __getattr__(self, name: str) -> Any:
        import great_expectations.expectations as gxe

        return getattr(gxe, name)


E: Any = _Expectations()
"""Where the rules take their expectation classes: ``E.ExpectColumnValuesToNotBeNull(...)``."""

Share = Annotated[float, Field(ge=0, le=1)]
"""A share of rows, 0..1 (GX's ``mostly``)."""
Count = Annotated[int, Field(ge=0)]


@dataclass(frozen=True)
class Suite:
    """An expectation suite: its name, the table it validates, its expectations and scope."""

    name: str
    table: str  # schema.table
    expectations: Sequence[Any]  # great_expectations Expectation objects
    scope: str | None = None  # what a failed critical check blocks; None = the table

    @property
    def blocks(self) -> str:
        """The table, or ``source:<name>``, that a failed critical check of this suite blocks."""
        return self.scope or self.table

    def __post_init__(self) -> None:
        if self.scope is not None and not self.scope.startswith("source:"):
            raise ValueError(
                f"suite {self.name}: scope must be None or 'source:<name>', not {self.scope!r}"
            )


def unique_by_name(suites: Sequence[Suite]) -> dict[str, Suite]:
    """Suite name -> suite, refusing a name used twice."""
    out: dict[str, Suite] = {}
    for s in suites:
        if s.name in out:
            raise ValueError(f"suite {s.name} defined twice")
        out[s.name] = s
    return out


# ------------------------------------------------------------------ thresholds


class ThresholdsError(ValueError):
    """A thresholds file the rules cannot use; one line naming file, section and key."""


_SECTIONS: dict[str, type[Thresholds]] = {}


class Thresholds(BaseModel):
    """One section of the thresholds YAML, typed. Subclass it with ``section = "<name>"``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    section: ClassVar[str]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        name = cls.__dict__.get("section")
        if not isinstance(name, str) or not name:
            raise TypeError(f"{cls.__qualname__}: set section = '<yaml section>'")
        known = _SECTIONS.get(name)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise TypeError(f"thresholds section {name!r} declared twice: {known} and {cls}")
        _SECTIONS[name] = cls


T = TypeVar("T", bound=Thresholds)


class ThresholdSet:
    """Every loaded section, validated; ``t[DvcThresholds]`` is the dvc section."""

    def __init__(self, sections: Mapping[str, Thresholds]) -> None:
        self._sections = dict(sections)

    def __getitem__(self, model: type[T]) -> T:
        value = self._sections.get(model.section)
        if not isinstance(value, model):
            raise ThresholdsError(
                f"no thresholds section {model.section!r} was loaded (is its file in the "
                "slice registry's thresholds?)"
            )
        return value

    def sections(self) -> list[str]:
        return sorted(self._sections)


def _read(path: Path) -> dict[str, Any]:
    data = read_yaml(path) or {}
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ThresholdsError(f"{path}: expected sections of 'key: value' lines")
    return data


def _model(path: Path, section: str) -> type[Thresholds]:
    if section not in _SECTIONS:
        raise ThresholdsError(
            f"{path}: unknown thresholds section {section!r}; known: {', '.join(sorted(_SECTIONS))}"
        )
    return _SECTIONS[section]


def _validated(path: Path, section: str, values: dict[str, Any]) -> Thresholds:
    model = _model(path, section)
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        err = errors[0]  # a typo shows as an unknown key and a missing one: name the typo
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            close = get_close_matches(key, model.model_fields, n=1)
            what = (
                f"did you mean {close[0]}?" if close else "known: " + ", ".join(model.model_fields)
            )
            what = f"unknown key ({what})"
        elif err["type"] == "missing":
            what = "missing (each threshold has its value in the shipped file)"
        else:
            what = f"{err['input']!r}: {err['msg']}"
        raise ThresholdsError(f"{path}: {section}.{key}: {what}") from None


def load_thresholds(files: Iterable[Path], override: Path | None = None) -> ThresholdSet:
    """The shipped thresholds (one YAML file per source), an operator's override merged over them.

    The sections' models are those the imported suite modules declare (the slice
    registry imports them all). Raises ThresholdsError naming file, section and key.
    """
    raw: dict[str, dict[str, Any]] = {}
    sections: dict[str, Thresholds] = {}
    for path in files:
        for section, values in _read(path).items():
            if section in sections:
                raise ThresholdsError(f"{path}: threshold section {section!r} defined twice")
            sections[section] = _validated(path, section, values)
            raw[section] = values
    if override:
        for section, values in _read(override).items():
            if section not in sections:
                _model(override, section)  # unknown anywhere: says so, with the known ones
                raise ThresholdsError(
                    f"{override}: section {section!r} is not loaded in this run; "
                    f"loaded: {', '.join(sorted(sections))}"
                )
            sections[section] = _validated(override, section, {**raw[section], **values})
    return ThresholdSet(sections)
