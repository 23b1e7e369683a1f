"""The gate: which indicators a run's failed critical checks block, and why.

Pure functions over check results and lineage; no GX import, so the rule is
testable on its own. A failed critical check on a table blocks every
indicator that reads the table, directly or through the core tables built
from it, and only those.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol


class CheckLike(Protocol):
    """A check's result as the gate reads it (``expectations.run.CheckResult``)."""

    @property
    def suite(self) -> str: ...
    @property
    def table(self) -> str: ...
    @property
    def expectation(self) -> str: ...
    @property
    def column(self) -> str | None: ...
    @property
    def severity(self) -> str: ...
    @property
    def success(self) -> bool: ...
    @property
    def observed_value(self) -> str | None: ...
    @property
    def scope(self) -> str | None: ...


def scope(r: CheckLike) -> str:
    """What a failed check blocks: its suite's scope (``source:<name>``), else its table."""
    return r.scope or r.table


def failed_critical(results: Iterable[CheckLike]) -> dict[str, str]:
    """Table (or ``source:<name>``) -> reason, for everything with a failed critical check."""
    reasons: dict[str, list[str]] = {}
    for r in results:
        if r.severity == "critical" and not r.success:
            what = r.expectation + (f"({r.column})" if r.column else "")
            observed = (
                f", observed {r.observed_value}" if r.observed_value not in (None, "null") else ""
            )
            reasons.setdefault(scope(r), []).append(f"{what} on {r.table}{observed}")
    return {t: f"critical check failed ({t}): " + "; ".join(rs) for t, rs in reasons.items()}


def upstream(table: str, lineage: Mapping[str, set[str]]) -> set[str]:
    """The table and everything it is built from, transitively."""
    seen, todo = set(), [table]
    while todo:
        t = todo.pop()
        if t in seen:
            continue
        seen.add(t)
        todo.extend(lineage.get(t, ()))
    return seen


def blocked_indicators(
    inputs: Mapping[str, set[str]], lineage: Mapping[str, set[str]], failed: Mapping[str, str]
) -> dict[str, str]:
    """Indicator id -> reason, for indicators whose inputs reach a table in ``failed``."""
    blocked = {}
    for indicator, tables in inputs.items():
        reached = set().union(*(upstream(t, lineage) for t in tables)) if tables else set()
        hits = sorted(reached & set(failed))
        if hits:
            blocked[indicator] = " | ".join(failed[t] for t in hits)
    return blocked


class IndicatorLike(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def inputs(self) -> set[str]: ...


def blocked_by(
    results: Iterable[CheckLike],
    indicators: Iterable[IndicatorLike],
    lineage: Mapping[str, set[str]],
) -> dict[str, str]:
    """The gate in one call: indicator id -> reason, for every indicator a failed critical check blocks."""
    return blocked_indicators(
        {i.id: i.inputs for i in indicators}, lineage, failed_critical(results)
    )
