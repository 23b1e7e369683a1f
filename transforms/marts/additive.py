"""Additive measures, counted once per day and unit before the periods multiply the rows.

A flow indicator's row counts in every period its date falls in: a month, its
quarter, the year, and each year-to-date period from its month on, about ten
periods a row. Aggregating ``joined`` (rows x periods) costs ten scans of the
fact table's rows. When the numerator and denominator are sums of counts
(``count(*)`` and ``count(*) filter (where ...)``, with ``+ - *``, brackets and
numbers between them), they can be counted first per day and unit (``_daily``:
a few thousand rows per month instead of a few hundred thousand) and the
periods then add those counts up: the same numbers, exactly (whole counts add up
exactly in any order; a ``sum`` of a column is left to the rows, as its type may
not be whole).

``split_additive`` says whether an expression is such a sum, and gives it
rewritten over the day's partial counts; anything else (``sum``,
``count(distinct ...)``, ``max``, a reference to the period) is computed from the
rows as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CALL = re.compile(r"\s*count\s*\(\s*\*\s*\)", re.IGNORECASE)
_FILTER = re.compile(r"\s*filter\s*\(", re.IGNORECASE)
_BETWEEN = re.compile(r"[\s\d.+\-*()]*")  # what may stand between the counts: arithmetic
_PERIOD = re.compile(r"\bperiod_(type|start|end|label)\b|_state_day", re.IGNORECASE)


def _closing(text: str, start: int) -> int:
    """The index after the parenthesis closing the one opened just before ``start``."""
    depth, i, quote = 1, start, False
    while i < len(text):
        ch = text[i]
        if ch == "'":
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"unbalanced parentheses in {text!r}")


def mentions_period(sql: str) -> bool:
    """Whether an expression reads the period a row is counted in (not known per day)."""
    return bool(_PERIOD.search(sql))


@dataclass(frozen=True)
class Additive:
    """Expressions rewritten over partial counts, and the partial counts (SQL, name)."""

    rewritten: tuple[str, ...]
    partials: tuple[tuple[str, str], ...]


def split_additive(expressions: list[str], prefix: str = "_part") -> Additive | None:
    """Each expression as a sum over the partial counts, or None where one is not additive."""
    partials: list[tuple[str, str]] = []
    rewritten: list[str] = []
    for expression in expressions:
        if mentions_period(expression):
            return None  # counted by the period's own dates: only at the row level
        out, i, first = [], 0, len(partials)
        while i < len(expression):
            call = _CALL.match(expression, i)
            if call is None:
                between = _BETWEEN.match(expression, i)
                if between is None or between.end() == i:
                    return None  # anything but counts and arithmetic
                out.append(expression[i : between.end()])
                i = between.end()
                continue
            end = call.end()
            filtered = _FILTER.match(expression, end)
            if filtered is not None:
                end = _closing(expression, filtered.end())
            name = f"{prefix}{len(partials)}"
            partials.append((expression[i:end].strip(), name))
            out.append(f"sum({name})")
            i = end
        if len(partials) == first:
            return None  # no count in it: nothing to add up per day
        rewritten.append("".join(out).strip())
    return Additive(tuple(rewritten), tuple(partials))


def daily_ctes(
    source: str, keys: list[str], date_column: str, parts: Additive, counted: str | None = None
) -> str:
    """``_daily`` (the partial counts per day and ``keys``) and ``_daily_joined`` (each day's
    counts in every period the day falls in), to aggregate instead of ``joined``. ``counted``:
    a table holding ``_daily`` already (``keys``, ``_day`` and the partial counts)."""
    grouped = ", ".join(keys)
    if counted is not None:  # the keys by their names (``expression as name``)
        names = ", ".join(name for _, name in parts.partials)
        daily = f"""
    select {", ".join(k.rsplit(" as ", 1)[-1].strip() for k in keys)}, _day, {names}
    from {counted}"""
    else:
        measures = ",\n        ".join(f"{sql} as {name}" for sql, name in parts.partials)
        daily = f"""
    select {grouped}, {date_column} as _day,
        {measures}
    from {source}
    group by all"""
    return f"""
_daily as ({daily}
),

_daily_joined as (
    select p.period_type, p.period_start, p.period_end, d.*
    from _daily as d join periods as p on d._day between p.period_start and p.period_end
)"""
