"""What people read: the scorecard as text and rows (the run's artifacts: ``run_report.py``)."""

from __future__ import annotations

import duckdb

MARK = {True: "met", False: "NOT met", None: "-"}


def scorecard_rows(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """``mart.scorecard`` as a list of dicts (province and district rows, view ``as_it_was``)."""
    cur = con.execute(
        """select indicator_id, admin_level, admin_code, admin_name, period_label, value, target,
                  comparator, met, gap, change, status, status_reason, portal_766, portal_766_status,
                  geo_view
           from mart.scorecard"""
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _cell(value: float | None, met: bool | None, status: str) -> str:
    if status == "blocked":
        return ("B " + (f"{value:5.1f}" if value is not None else "  -  ")).rjust(7)
    if value is None:
        return "    -  "
    return f"{value:6.1f}{'' if met else '*'}".rjust(7)


def _num(x: float | None, width: int, signed: bool = False) -> str:
    if x is None:
        return "-".rjust(width)
    return (f"{x:+.1f}" if signed else f"{x:.1f}").rjust(width)


def format_scorecard(con: duckdb.DuckDBPyConnection) -> str:
    """The scorecard as a fixed-width table: one line per target, province then each district.

    Each line: the latest period with data, target, province value, met or not,
    gap to the target (positive = ahead), change since the previous period,
    then every district's value (* below target, B blocked).
    """
    rows = scorecard_rows(con)
    if not rows:
        return "scorecard is empty"
    districts = sorted(
        {(r["admin_code"], r["admin_name"]) for r in rows if r["admin_level"] == "district"}
    )
    names = dict(
        con.execute("select indicator_id, name_en from mart.indicator_catalogue").fetchall()
    )
    by_key = {(r["indicator_id"], r["admin_code"]): r for r in rows}
    header = (
        f"{'id':<5}{'indicator':<38}{'period':<12}{'target':>7}{'value':>8} {'status':<10}"
        f"{'gap':>7}{'change':>7} " + "".join(f"{code:>7}" for code, _ in districts)
    )
    lines = [
        "Plan 190/KH-UBND scorecard — the former Hậu Giang area (93; in Cần Thơ from 1/7/2025)"
        " and its districts, units as they were (geo_view as_it_was)",
        header,
        "-" * len(header),
    ]
    for ind in sorted({r["indicator_id"] for r in rows}):
        prov = next(r for r in rows if r["indicator_id"] == ind and r["admin_level"] == "province")
        target = f"{prov['comparator']}{prov['target']:g}" if prov["target"] is not None else "-"
        status = {
            "blocked": "BLOCKED",
            "source_missing": "NO SOURCE",
            "no_data": "NO DATA",
            "invalid": "INVALID",
        }.get(prov["status"], MARK[prov["met"]])
        cells = "".join(
            _cell(by_key[(ind, c)]["value"], by_key[(ind, c)]["met"], by_key[(ind, c)]["status"])
            if (ind, c) in by_key
            else "    -  "
            for c, _ in districts
        )
        lines.append(
            f"{ind:<5}{names.get(ind, '')[:37]:<38}{(prov['period_label'] or '-'):<12}{target:>7}"
            f"{_num(prov['value'], 8)} {status:<10}{_num(prov['gap'], 7, True)}{_num(prov['change'], 7, True)} {cells}"
        )
    lines.append("")
    lines.append("Districts: " + "; ".join(f"{c} {n}" for c, n in districts))
    lines.append(
        "Districts exist until 30/6/2025: in a period running past it a district counts its "
        "first half; mart.indicator_value has the other views (todays_units, former_district)"
    )
    lines.append(
        "* below target   B blocked (last published value kept)   - no data   "
        "gap: ahead (+) or behind (-) the target   change: since the previous period"
    )
    for r in rows:
        if r["admin_level"] == "province" and r["status"] in (
            "blocked",
            "source_missing",
            "invalid",
        ):
            lines.append(f"{r['status'].upper()} {r['indicator_id']}: {r['status_reason']}")
    beside = [r for r in rows if r["admin_level"] == "province" and r.get("portal_766")]
    if beside:
        lines += [
            "",
            "Against the national portal (Decision 766 dashboard, our 766 reading, latest month):",
        ]
        lines += [
            f"  {r['indicator_id']:<5}{r['portal_766']}  {r['portal_766_status']}"
            for r in sorted(beside, key=lambda r: r["indicator_id"])
        ]
    return "\n".join(lines)


def reconciliation_rows(con: duckdb.DuckDBPyConnection, limit: int = 20) -> list[dict]:
    """The reconciliation rows that do not agree (``mart.reconciliation``), worst first."""
    if "mart.reconciliation" not in {
        r[0]
        for r in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        ).fetchall()
    }:
        return []
    cur = con.execute(
        """select metric_code, plan_indicator_id, period_type, period_start, status, reason
           from mart.reconciliation where status <> 'agrees'
           order by status = 'portal_missing', abs(coalesce(difference, 0)) desc, period_start
           limit ?""",
        [limit],
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
