"""What an operator reads about a run: per-source lines, the scorecard and data-quality artifacts.

Plain words, not the tools' jargon: a check is described as what it asks of
the data ("every district appears in this run's deliveries"), with what was
found and its unit; a target reads ``≥ 90 %``; the province comes first, then
its districts. Nothing here imports Prefect: the flow turns these into log
lines and artifacts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

SYMBOL = {">=": "≥", "<=": "≤", ">": "&gt;", "<": "&lt;", "=": "="}
STATUS = {
    "ok": "ok",
    "blocked": "BLOCKED (last published value kept)",
    "source_missing": "no source data",
    "no_data": "no data",
    "invalid": "invalid (numerator above denominator)",
}


def target_text(comparator: str | None, target: float | None, unit: str = "") -> str:
    """``≥ 90 %``: the comparator as a symbol that renders as itself (``>`` as an HTML entity, so
    that no Markdown renderer reads it as a quotation)."""
    if target is None:
        return "–"
    symbol = SYMBOL.get(comparator or "", comparator or "")
    return f"{symbol} {target:g}{(' ' + unit) if unit else ''}"


def _num(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.1f}" if signed else f"{value:.1f}"


def scorecard_artifact(con: duckdb.DuckDBPyConnection) -> list[dict[str, str]]:
    """``mart.scorecard`` for the run's artifact: each target, the province first (with the
    target's Vietnamese and English names), then its districts."""
    units = dict(
        con.execute(
            "select indicator_id, coalesce(unit, '') from mart.indicator_catalogue"
        ).fetchall()
    )
    rows = con.execute(
        """select indicator_id, name_vi, name_en, admin_level, admin_code, admin_name, period_label,
                  comparator, target, value, met, gap, change, status, portal_766, portal_766_status
           from mart.scorecard
           order by indicator_id, case admin_level when 'province' then 0 else 1 end, admin_code"""
    ).fetchall()
    out = []
    for row in rows:
        ind, vi, en, level, code, name, period, cmp, target, value, met, gap, change, st = row[:14]
        portal, portal_status = row[14:]
        unit = "%" if units.get(ind) in ("percent", "%") else ""
        province = level == "province"
        out.append(
            {
                "indicator": ind,
                "unit": f"{name} ({code})" if province else f"· {name} ({code})",
                "period": period or "–",
                "target": target_text(cmp, target, unit),
                "value": _num(value),
                "met": "–" if met is None or st != "ok" else ("yes" if met else "no"),
                "gap": _num(gap, signed=True),
                "change": _num(change, signed=True),
                "status": STATUS.get(st, st),
                "chỉ tiêu (vi)": (vi or "") if province else "",
                "indicator (en)": (en or "") if province else "",
                "national portal (766)": f"{portal} ({portal_status})" if portal else "",
            }
        )
    return out


# ----------------------------------------------------------------------------- checks


def _kwargs(raw: str | Mapping | None) -> dict[str, Any]:
    if isinstance(raw, Mapping):
        return dict(raw)
    try:
        value = json.loads(raw or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _share(mostly: float | None) -> str:
    return "every row" if mostly in (None, 1, 1.0) else f"at least {mostly:.0%} of rows"


def plain_check(expectation: str, column: str | None, kwargs: str | Mapping | None) -> str:
    """What a check asks of the data, in words (for checks that carry no description)."""
    k = _kwargs(kwargs)
    col = column or k.get("column") or ""
    rows = _share(k.get("mostly"))
    low, high = k.get("min_value"), k.get("max_value")
    if expectation == "expect_column_values_to_not_be_null":
        return f"{col} is filled in ({rows})"
    if expectation == "expect_column_values_to_be_unique":
        return f"no two rows have the same {col}"
    if expectation == "expect_compound_columns_to_be_unique":
        return f"no two rows have the same {' + '.join(k.get('column_list') or [])}"
    if expectation == "expect_column_values_to_be_in_set":
        values = ", ".join(str(v) for v in (k.get("value_set") or [])[:12])
        return f"{col} is one of {values} ({rows})"
    if expectation == "expect_column_values_to_match_regex":
        return f"{col} has the expected form ({rows})"
    if expectation == "expect_column_values_to_be_between":
        return f"{col} is {_range(low, high)} ({rows})"
    if expectation == "expect_table_row_count_to_be_between":
        return f"the table has {_range(low, high)} rows"
    return expectation.removeprefix("expect_").replace("_", " ")


def _range(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"between {low} and {high}"
    if low is not None:
        return f"≥ {low}"
    if high is not None:
        return f"≤ {high}"
    return "any value"


def observed_text(check: Mapping[str, Any]) -> str:
    """What was found, with its unit: rows breaking the rule out of rows checked, or the value."""
    if check.get("exception"):
        return f"could not be evaluated: {str(check['exception'])[:200]}"
    bad, total = check.get("unexpected_count"), check.get("element_count")
    if bad is not None and total:
        return f"{bad:,} of {total:,} rows break it ({bad / total:.2%})"
    observed = check.get("observed_value")
    try:
        value = json.loads(observed) if isinstance(observed, str) else observed
    except ValueError:
        value = observed
    if check.get("expectation") == "expect_table_row_count_to_be_between" and value is not None:
        return f"{value:,} rows" if isinstance(value, int) else f"{value} rows"
    if value is None:
        return "–"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class SourceOutcome:
    """One source in one run: what extract took and what staging made of it."""

    source: str
    listed: int
    taken: int
    duplicates: int
    files: int
    unreadable: list[str]
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_duplicate: int

    @classmethod
    def of(
        cls, extracted: Mapping[str, Any], staged: Mapping[str, Any], unreadable: list[str]
    ) -> SourceOutcome:
        return cls(
            source=str(staged.get("source") or extracted.get("source")),
            listed=int(extracted.get("listed", 0)),
            taken=int(extracted.get("taken", 0)),
            duplicates=int(extracted.get("duplicates", 0)),
            files=int(staged.get("files", 0)),
            unreadable=list(unreadable),
            rows_read=int(staged.get("rows_read", 0)),
            rows_loaded=int(staged.get("rows_loaded", 0)),
            rows_quarantined=int(staged.get("rows_quarantined", 0)),
            rows_duplicate=int(staged.get("rows_duplicate", 0)),
        )

    @property
    def quarantined_share(self) -> float:
        return self.rows_quarantined / self.rows_read if self.rows_read else 0.0

    def line(self) -> str:
        """The source's INFO log line."""
        return (
            f"{self.source}: files listed {self.listed}, taken {self.taken}, "
            f"duplicate {self.duplicates}, unreadable {len(self.unreadable)}; "
            f"rows read {self.rows_read:,}, loaded {self.rows_loaded:,}, "
            f"quarantined {self.rows_quarantined:,}, duplicate {self.rows_duplicate:,}"
        )


def unreadable_files(con: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    """Each file of ``source`` that could not be read, as ``<landing name>: <error>`` (the error
    names the line and field where known; the archive path is replaced by the landing name)."""
    rows = con.execute(
        """select name, archive_path, coalesce(error, 'unreadable') from meta.manifest
           where source = ? and status = 'error' order by name""",
        [source],
    ).fetchall()
    out = []
    for name, archive, error in rows:
        text = error.replace(archive, name) if archive else error
        out.append(text if text.startswith(name) else f"{name}: {text}")
    return out


def attention(
    outcomes: Iterable[SourceOutcome], max_unreadable: int, max_quarantined_share: float
) -> list[str]:
    """What an operator must look at although the run published: unreadable files beyond the
    allowance, sources whose quarantined share of this run's rows is above the threshold."""
    out = []
    outcomes = list(outcomes)
    unreadable = [u for o in outcomes for u in o.unreadable]
    if len(unreadable) > max_unreadable:
        out.append(f"{len(unreadable)} unreadable file(s): " + "; ".join(unreadable[:3]))
    for o in outcomes:
        if o.rows_read and o.quarantined_share > max_quarantined_share:
            out.append(
                f"{o.source} quarantined {o.rows_quarantined:,} of {o.rows_read:,} rows "
                f"({o.quarantined_share:.1%} > {max_quarantined_share:.1%})"
            )
    return out


def quality_markdown(
    outcomes: Iterable[SourceOutcome],
    checks: Mapping[str, Any],
    blocked: Mapping[str, str],
    docs_link: str = "",
    reconciliation: list[dict] | None = None,
) -> str:
    """The run's data-quality artifact: files and rows per source, failed checks in plain words
    with what was found, blocked indicators, and where our 766 figures and the national portal's
    do not agree (``warehouse.reports.reconciliation_rows``)."""
    out = [
        "# Data quality of this run",
        "",
        "## Files and rows",
        "",
        "| source | files listed | taken | duplicate | unreadable | rows read | loaded | quarantined | duplicate rows |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    outcomes = list(outcomes)
    for o in outcomes:
        out.append(
            f"| {o.source} | {o.listed} | {o.taken} | {o.duplicates} | {len(o.unreadable)} | "
            f"{o.rows_read:,} | {o.rows_loaded:,} | {o.rows_quarantined:,} | {o.rows_duplicate:,} |"
        )
    unreadable = [u for o in outcomes for u in o.unreadable]
    if unreadable:
        out += ["", "## Unreadable files (kept, taken again next run)", ""]
        out += [f"- {_md(u)}" for u in unreadable]
    failed = list(checks.get("failed", []))
    out += ["", f"## Checks: {checks.get('checks', 0)} evaluated, {len(failed)} failed", ""]
    if failed:
        out += ["| severity | what is checked | table | found |", "|---|---|---|---|"]
        for f in sorted(failed, key=lambda f: (f.get("severity") != "critical", f.get("table"))):
            what = f.get("description") or plain_check(
                str(f.get("expectation")), f.get("column"), f.get("kwargs")
            )
            out.append(
                f"| {f.get('severity')} | {_md(what)} | {f.get('table')} | {_md(observed_text(f))} |"
            )
    out += ["", "## Blocked indicators", ""]
    out += [f"- **{k}**: {_md(v)}" for k, v in sorted(blocked.items())] or ["none"]
    if reconciliation is not None:
        out += ["", "## Against the national portal (766)", ""]
        out += [
            f"- **{r['plan_indicator_id']}** {r['metric_code']} {r['period_type']} "
            f"{r['period_start']}: {r['status']} — {_md(r['reason'])}"
            for r in reconciliation
        ] or ["every compared figure agrees"]
    if docs_link:
        out += ["", f"Great Expectations Data Docs: {docs_link}"]
    return "\n".join(out)


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ").replace(">", "&gt;")
