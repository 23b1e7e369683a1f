"""The rules, one module per source (plus ``core`` for the shared dimensions and ``volume``).

Each module has ``suites(thresholds) -> list[Suite]``; the slice registry
(``flows/registry.py``) says which module belongs to which source. Severity
is GX's own: ``critical`` blocks indicators, ``warning`` annotates. What a
failed critical check blocks is data on the suite (``scope``): by default the
suite's table and every indicator that reads it, directly or through the
tables built from it; ``source:<name>`` for a rule about a whole delivery
(every indicator of that source). Thresholds an operator may tune live in
``expectations/thresholds/<source>.yml``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


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
