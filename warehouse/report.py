"""The report an official sends upward: one self-contained HTML file (and a PDF of it).

    chiso report [--out DIR]

From the published warehouse only (read-only). For each target: its definition,
the value against the target and the plan's comparator, the trend by month (or
the indicator's periods) against the target line, the units furthest behind
first, the gap's main drivers (``mart.indicator_drilldown``), completeness and
data-quality notes; and the run it came from. Vietnamese first, English beside.

Charts are SVG drawn here (``trend_svg``) and embedded in the page (text kept as text,
so the browser's fonts render Vietnamese and a PDF keeps it searchable): no
script, no CDN, nothing fetched. The PDF is the page printed by headless
chromium (``/usr/bin/chromium``), when it is installed.
"""

from __future__ import annotations

import html
import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.build import connect_published

LEVEL_VI = {"province": "Tỉnh", "district": "Huyện", "commune": "Xã"}
DIMENSION_VI = {
    "procedure": "thủ tục hành chính",
    "agency": "cơ quan",
    "school": "cơ sở giáo dục",
    "facility": "cơ sở khám, chữa bệnh",
    "information_system": "hệ thống thông tin",
    "operator": "doanh nghiệp viễn thông",
}
STATUS_VI = {
    "ok": "có số liệu / ok",
    "no_data": "không có số liệu / no data",
    "blocked": "bị chặn, giữ số cũ / blocked, last value kept",
    "source_missing": "thiếu nguồn / source missing",
    "invalid": "số liệu mâu thuẫn / inputs disagree",
}
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

CSS = """
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 24px; color: #1b1b1b;
       font-size: 13px; }
h1 { font-size: 22px; margin-bottom: 2px; } h2 { font-size: 17px; margin: 0; }
.en { color: #555; font-style: italic; }
.run { color: #444; margin-bottom: 16px; }
table { border-collapse: collapse; margin: 6px 0 10px 0; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #eef3f8; } td.num { text-align: right; }
.met { background: #c6efce; color: #006100; } .notmet { background: #ffc7ce; color: #9c0006; }
section.target { border-top: 2px solid #1f4e78; padding-top: 10px; margin-top: 18px;
                 page-break-inside: avoid; }
.grid { display: flex; gap: 16px; flex-wrap: wrap; } .grid > div { flex: 1 1 420px; }
figure.chart { margin: 4px 0; } figure.chart svg { width: 100%; height: auto; max-width: 640px; }
.note { color: #444; font-size: 12px; }
@media print { body { margin: 8mm; } section.target { page-break-before: always; } }
"""


@dataclass
class Target:
    """What the report shows for one indicator."""

    id: str
    name_vi: str
    name_en: str
    definition: str
    reference: str
    comparator: str
    target: float | None
    unit: str
    decimals: int
    source: str
    lower_is_better: bool
    counted_en: str | None
    counted_vi: str | None
    headline: dict | None
    trend: list[tuple[str, float | None, float | None]]  # (period label, value, target)
    trend_period: str
    ranked: list[dict]
    drivers: dict[str, list[dict]]
    additive: dict[str, bool]
    completeness: dict[str, int]
    quality: list[str]


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _fmt(x: float | None, decimals: int, unit: str = "") -> str:
    if x is None:
        return "–"
    text = f"{x:,.{decimals}f}"
    return text + ("%" if unit == "percent" else "")


def gather(con: duckdb.DuckDBPyConnection) -> tuple[dict, list[Target]]:
    """Everything the report shows, read from the published marts."""
    run = _rows(
        con,
        """select run_id, started_at, finished_at, status, files_loaded, rows_read, rows_loaded,
                  rows_quarantined, rows_duplicate
           from audit.run where status like 'published%' order by finished_at desc limit 1""",
    )
    if run:
        run[0].update(
            _rows(
                con,
                """select count(*) as all_files, coalesce(sum(rows_read), 0) as all_rows_read,
                          coalesce(sum(rows_quarantined), 0) as all_rows_quarantined,
                          max(file_date) as latest_delivery
                   from meta.manifest""",
            )[0]
        )
    catalogue = _rows(
        con,
        # the plan's targets (other readings of a target, e.g. the 766 dashboard's, are beside it)
        "select * from mart.indicator_catalogue where variant_of is null "
        "order by indicator_id like 'R%', indicator_id",
    )
    headlines = {
        r["indicator_id"]: r
        for r in _rows(con, "select * from mart.scorecard where admin_level = 'province'")
    }
    trend_periods = {
        c["indicator_id"]: "month" if "month" in c["periods"] else c["headline_period"]
        for c in catalogue
    }
    trends, completeness_of, checks_of, quarantine_of = _per_target(con, trend_periods)
    targets = []
    for c in catalogue:
        ind = c["indicator_id"]
        head = headlines.get(ind)
        trend_period = trend_periods[ind]
        trend = trends.get(ind, [])
        sign = "target - value" if c["lower_is_better"] else "value - target"
        ranked = (
            _rows(
                con,
                f"""select admin_level, admin_code, admin_name, parent_name, value, met, status,
                           {sign} as gap
                    from mart.indicator_value
                    where indicator_id = ? and period_type = ? and period_end = ?
                      and admin_level in ('district', 'commune') and value is not null
                      and geo_view = 'as_it_was'
                    -- every district, then the ten communes furthest behind
                    qualify admin_level = 'district'
                        or row_number() over (partition by admin_level order by gap asc, admin_code) <= 10
                    order by admin_level desc, gap asc, admin_code""",
                [ind, c["headline_period"], head["period_end"]],
            )
            if head and head["period_end"]
            else []
        )
        drivers: dict[str, list[dict]] = {}
        if head and head["period_end"] and c["drilldown"]:
            for d in c["drilldown"]:
                drivers[d["dimension"]] = _rows(
                    con,
                    """select member_code, member_name, numerator, denominator, value, gap_count, gap_pp
                       from mart.indicator_drilldown
                       where indicator_id = ? and dimension = ? and admin_level = 'province'
                         and period_type = ? and period_end = ? and gap_count < 0
                       order by gap_rank limit 5""",
                    [ind, d["dimension"], c["headline_period"], head["period_end"]],
                )
        completeness = completeness_of.get(c["source"], {})
        quality = [
            f"{r['severity']}: {r['expectation']}"
            + (f"({r['column']})" if r["column"] else "")
            + f" on {r['table_name']}"
            + (f", observed {r['observed_value']}" if r["observed_value"] else "")
            for r in checks_of.get(ind, [])
        ]
        quality += [
            f"{r['n_rows']:,} {r['dataset']} rows quarantined ({r['rule']}), e.g. {r['example_reason']}"
            for r in quarantine_of.get(c["source"], [])
        ]
        targets.append(
            Target(
                id=ind,
                name_vi=c["name_vi"],
                name_en=c["name_en"],
                definition=c["definition"],
                reference=c["reference"],
                comparator=c["comparator"],
                target=c["target"],
                unit=c["unit"],
                decimals=c["display_decimals"],
                source=c["source"],
                lower_is_better=c["lower_is_better"],
                counted_en=c["counted_en"],
                counted_vi=c["counted_vi"],
                headline=head,
                trend=trend,
                trend_period=trend_period,
                ranked=ranked,
                drivers=drivers,
                additive={d["dimension"]: d["additive"] for d in c["drilldown"] or []},
                completeness=completeness,
                quality=quality,
            )
        )
    return (run[0] if run else {}), targets


def _grouped(rows: list[dict], key: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r.pop(key), []).append(r)
    return out


def _per_target(
    con: duckdb.DuckDBPyConnection, trend_periods: dict[str, str]
) -> tuple[
    dict[str, list[tuple]],
    dict[str, dict[str, int]],
    dict[str, list[dict]],
    dict[str, list[dict]],
]:
    """What the report shows of every target, one query for all of them (not one a target):
    the trends (indicator -> (period label, value, target) by period), the completeness by
    source (status -> count), the failed checks of the tables an indicator reads, and the
    three largest open quarantine groups of each source."""
    trends: dict[str, list[tuple]] = {}
    for r in _rows(
        con,
        """select v.indicator_id, period_label, value, target
           from mart.indicator_value as v
           join (select unnest(?::varchar[]) as indicator_id, unnest(?::varchar[]) as period_type)
               using (indicator_id, period_type)
           where admin_level = 'province' and period_start is not null and geo_view = 'as_it_was'
           order by v.indicator_id, period_end""",
        [list(trend_periods), list(trend_periods.values())],
    ):
        trends.setdefault(r["indicator_id"], []).append(
            (r["period_label"], r["value"], r["target"])
        )
    completeness: dict[str, dict[str, int]] = {}
    for source, status, n in con.execute(
        "select source, status, count(*) from core.fct_completeness group by all order by all"
    ).fetchall():
        completeness.setdefault(source, {})[status] = n
    checks = _grouped(
        _rows(
            con,
            """select distinct l.indicator_id, k.severity, k.expectation, k."column",
                      k.table_name, k.observed_value
               from mart.check_result_latest as k
               join mart.lineage as l on l.table_name = k.table_name
                   or l.table_name = coalesce(k.scope, '')
               where not k.success
               order by all""",
        ),
        "indicator_id",
    )
    quarantine = _grouped(
        _rows(
            con,
            """select source, dataset, rule, sum(n_rows) as n_rows,
                      any_value(example_reason) as example_reason
               from mart.quarantine_summary where status = 'open'
               group by source, dataset, rule
               qualify row_number() over (
                   partition by source order by sum(n_rows) desc, dataset, rule) <= 3
               order by source, n_rows desc, dataset, rule""",
        ),
        "source",
    )
    return trends, completeness, checks, quarantine


CHART_W, CHART_H = 640, 260  # the drawing's own units (the page scales it to its width)
VALUE_COLOUR, TARGET_COLOUR = "#1f4e78", "#c00000"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round axis ticks covering ``low``..``high`` (steps of 1, 2, 2.5 or 5 times a power of ten)."""
    if high <= low:
        low, high = low - 1, high + 1
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = [first]
    while ticks[-1] < high - 1e-9 * step:
        ticks.append(ticks[-1] + step)
    return [round(t, 10) for t in ticks]


def _tick_text(x: float) -> str:
    return f"{x:,.0f}" if x == int(x) else f"{x:,.1f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class _Frame:
    """Where a chart's periods and values fall in the drawing."""

    periods: int
    low: float
    high: float
    downwards: bool  # a rank: the best (lowest) at the top
    left: int = 56
    top: int = 30
    bottom: int = 34

    @property
    def width(self) -> float:
        return CHART_W - self.left - 12

    @property
    def height(self) -> float:
        return CHART_H - self.top - self.bottom

    @property
    def base(self) -> float:
        return self.top + self.height

    def x(self, i: float) -> float:
        return self.left + self.width * (i + 0.5) / max(self.periods, 1)

    def y(self, v: float) -> float:
        share = (float(v) - self.low) / (self.high - self.low)
        return self.top + self.height * (share if self.downwards else 1 - share)


def trend_svg(t: Target) -> str:
    """The trend at province level against the target line, as inline SVG (drawn here: no
    plotting library, nothing fetched; 21 charts in milliseconds where matplotlib took 1.5 s
    of every publishing night). Text stays text: the browser's fonts draw the Vietnamese letters.

    Values are a line with a marker per period (a gap where a period has none), the target a
    dashed step line changing between periods; a rank's axis runs downwards (1 at the top)."""
    labels = [str(p) for p, _, _ in t.trend]
    values = [v for _, v, _ in t.trend]
    targets = [tg for _, _, tg in t.trend]
    known = [float(x) for x in values + targets if x is not None]
    ticks = nice_ticks(min(known), max(known)) if known else [0.0, 1.0]
    f = _Frame(
        len(labels), ticks[0], ticks[-1], t.lower_is_better, bottom=74 if len(labels) > 6 else 34
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {CHART_W} {CHART_H}" '
        f'width="{CHART_W}" height="{CHART_H}" font-family="DejaVu Sans, sans-serif" '
        f'font-size="11" role="img">',
        f'<text x="{CHART_W / 2:.1f}" y="16" text-anchor="middle">'
        f"{_e(t.id)} — xu hướng / trend ({_e(t.trend_period)}, tỉnh / province)</text>",
        *_axes(f, ticks, labels, "%" if t.unit == "percent" else "hạng / rank"),
        *_target_line(f, targets),
        *_value_line(f, values),
    ]
    if not known:
        out.append(
            f'<text x="{f.left + f.width / 2:.1f}" y="{f.top + f.height / 2:.1f}" '
            f'text-anchor="middle" fill="#666">Chưa có số liệu / no data yet</text>'
        )
    legend = [("Giá trị / value", VALUE_COLOUR, "")]
    if any(tg is not None for tg in targets):
        target = f"Chỉ tiêu / target {t.comparator} {_fmt(t.target, 0)}"
        legend.append((target, TARGET_COLOUR, ' stroke-dasharray="6 3"'))
    for n, (text, colour, dash) in enumerate(legend):
        y, x = f.top + 14 + 15 * n, f.left + f.width - 190
        out.append(
            f'<line x1="{x}" x2="{x + 22}" y1="{y - 4}" y2="{y - 4}" stroke="{colour}" '
            f'stroke-width="1.5"{dash}/>'
            f'<text x="{x + 28}" y="{y}" font-size="10">{_e(text)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _axes(f: _Frame, ticks: list[float], labels: list[str], unit: str) -> list[str]:
    """The grid and the value axis, the frame, the unit, and a tick and label per period."""
    out = [
        f'<line x1="{f.left}" x2="{f.left + f.width}" y1="{f.y(tick):.1f}" y2="{f.y(tick):.1f}" '
        f'stroke="#000" stroke-opacity="0.15"/>'
        f'<text x="{f.left - 5}" y="{f.y(tick) + 4:.1f}" text-anchor="end">{_tick_text(tick)}</text>'
        for tick in ticks
    ]
    out.append(
        f'<rect x="{f.left}" y="{f.top}" width="{f.width}" height="{f.height}" fill="none" '
        f'stroke="#000"/>'
    )
    out.append(
        f'<text transform="translate(14 {f.top + f.height / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">{_e(unit)}</text>'
    )
    for i, label in enumerate(labels):
        x = f.x(i)
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{f.base}" y2="{f.base + 4}" stroke="#000"/>'
        )
        if len(labels) > 6:  # rotated
            out.append(
                f'<text transform="translate({x + 4:.1f} {f.base + 14}) rotate(-45)" '
                f'text-anchor="end">{_e(label)}</text>'
            )
        else:
            out.append(
                f'<text x="{x:.1f}" y="{f.base + 16}" text-anchor="middle">{_e(label)}</text>'
            )
    return out


def _target_line(f: _Frame, targets: list[float | None]) -> list[str]:
    """The target: level around each period, joined where the next period has one too."""
    half = f.width / max(f.periods, 1) / 2
    steps, previous = [], None
    for i, tg in enumerate(targets):
        if tg is None:
            previous = None
            continue
        x0, x1 = max(f.x(i) - half, f.x(0)), min(f.x(i) + half, f.x(f.periods - 1))
        y = f.y(tg)
        steps.append(f"{'L' if previous is not None else 'M'}{x0:.1f},{y:.1f} L{x1:.1f},{y:.1f}")
        previous = tg
    if not steps:
        return []
    return [
        f'<path d="{" ".join(steps)}" fill="none" stroke="{TARGET_COLOUR}" '
        f'stroke-width="1.5" stroke-dasharray="6 3"/>'
    ]


def _value_line(f: _Frame, values: list[float | None]) -> list[str]:
    """The values: a marker each, joined by a line broken where a period has none."""
    runs: list[list[tuple[float, float]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            runs.append([])
        else:
            runs[-1].append((f.x(i), f.y(v)))
    out = []
    for run in runs:
        if len(run) > 1:
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            out.append(
                f'<polyline points="{points}" fill="none" stroke="{VALUE_COLOUR}" '
                f'stroke-width="1.5"/>'
            )
        out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{VALUE_COLOUR}"/>' for x, y in run]
    return out


def _e(x: object) -> str:
    return html.escape("" if x is None else str(x))


def target_html(t: Target) -> str:
    h = t.headline or {}
    met = h.get("met")
    cls = "met" if met else ("notmet" if met is False else "")
    met_text = "Đạt / met" if met else ("Chưa đạt / not met" if met is False else "–")
    target_text = f"{t.comparator} {_fmt(h.get('target', t.target), t.decimals if t.unit != 'percent' else 0, t.unit)}"
    out = [
        f'<section class="target" id="{_e(t.id)}">',
        f"<h2>{_e(t.id)}. {_e(t.name_vi)}</h2>",
        f'<div class="en">{_e(t.name_en)}</div>',
        '<div class="grid"><div>',
        "<table>",
        f"<tr><th>Kỳ / Period</th><td>{_e(h.get('period_label') or '–')}</td></tr>",
        f"<tr><th>Giá trị / Value</th><td class='num {cls}'>{_e(_fmt(h.get('value'), t.decimals, t.unit))}</td></tr>",
        f"<tr><th>Chỉ tiêu kế hoạch / Target</th><td class='num'>{_e(target_text)}</td></tr>",
        f"<tr><th>Đánh giá / Result</th><td class='{cls}'>{_e(met_text)}</td></tr>",
        f"<tr><th>Chênh lệch / Gap</th><td class='num'>{_e(_fmt(h.get('gap'), t.decimals))}"
        f"{' điểm % / pp' if t.unit == 'percent' and h.get('gap') is not None else ''}</td></tr>",
        (
            f"<tr><th>Cổng DVC quốc gia (766) / National portal (766)</th>"
            f"<td>{_e(h.get('portal_766'))} ({_e(h.get('portal_766_status'))})</td></tr>"
            if h.get("portal_766")
            else ""
        ),
        f"<tr><th>Thay đổi / Change</th><td class='num'>{_e(_fmt(h.get('change'), t.decimals))}</td></tr>",
        f"<tr><th>Trạng thái / Status</th><td>{_e(STATUS_VI.get(h.get('status') or '', h.get('status')))}"
        f"{'<br><span class=note>' + _e(h.get('status_reason')) + '</span>' if h.get('status_reason') else ''}</td></tr>",
        "</table>",
        f"<p class='note'><b>Định nghĩa / Definition:</b> {_e(t.definition)}</p>",
        f"<p class='note'><b>Căn cứ / Reference:</b> {_e(t.reference)}</p>",
        "</div><div>",
        f'<figure class="chart" data-indicator="{_e(t.id)}">{trend_svg(t)}</figure>',
        "</div></div>",
    ]
    if t.ranked:
        out += [
            "<h3>Đơn vị xếp theo khoảng cách, xa chỉ tiêu nhất trước / Units, furthest behind first "
            "(every district; the ten communes furthest behind)</h3>",
            "<table><tr><th>Cấp / Level</th><th>Đơn vị / Unit</th><th>Trực thuộc / Parent</th>"
            "<th>Giá trị / Value</th><th>Chênh lệch / Gap</th></tr>",
        ]
        for r in t.ranked:
            rc = "met" if r["met"] else ("notmet" if r["met"] is False else "")
            out.append(
                f"<tr><td>{_e(LEVEL_VI.get(r['admin_level']))}</td><td>{_e(r['admin_name'])} ({_e(r['admin_code'])})</td>"
                f"<td>{_e(r['parent_name'])}</td><td class='num {rc}'>{_e(_fmt(r['value'], t.decimals, t.unit))}</td>"
                f"<td class='num'>{_e(_fmt(r['gap'], t.decimals))}</td></tr>"
            )
        out.append("</table>")
    for dim, rows in t.drivers.items():
        if not rows:
            continue
        counted = f"{t.counted_vi} / {t.counted_en}" if t.counted_en else ""
        heading = (
            f"Nguyên nhân chính của khoảng cách, theo {_e(DIMENSION_VI.get(dim, dim))} / "
            f"Main drivers of the gap, by {_e(dim.replace('_', ' '))}"
            if t.additive.get(dim, True)
            else f"Mức phủ của từng {_e(DIMENSION_VI.get(dim, dim))} (chồng lấn, không cộng dồn) / "
            f"Each {_e(dim.replace('_', ' '))}'s own reach (they overlap: not additive)"
        )
        out += [
            f"<h3>{heading}</h3>",
            "<table><tr><th>Mã / Code</th><th>Tên / Name</th><th>Tử số / Numerator</th>"
            f"<th>Mẫu số / Denominator ({_e(counted)})</th><th>Giá trị / Value</th>"
            "<th>Thiếu so với chỉ tiêu / Short of target</th><th>Đóng góp / Share of gap (pp)</th></tr>",
        ]
        for r in rows:
            out.append(
                f"<tr><td>{_e(r['member_code'])}</td><td>{_e(r['member_name'])}</td>"
                f"<td class='num'>{_e(_fmt(r['numerator'], 0))}</td><td class='num'>{_e(_fmt(r['denominator'], 0))}</td>"
                f"<td class='num'>{_e(_fmt(r['value'], t.decimals, t.unit))}</td>"
                f"<td class='num'>{_e(_fmt(r['gap_count'], 0))}</td><td class='num'>{_e(_fmt(r['gap_pp'], 2))}</td></tr>"
            )
        out.append("</table>")
    comp = ", ".join(f"{k}: {v}" for k, v in sorted(t.completeness.items())) or "–"
    out.append(
        f"<p class='note'><b>Tính đầy đủ / Completeness</b> (nguồn / source {_e(t.source)}): {_e(comp)}</p>"
    )
    quality = "; ".join(t.quality) if t.quality else "không có vấn đề / no issue"
    out.append(f"<p class='note'><b>Chất lượng dữ liệu / Data quality:</b> {_e(quality)}</p>")
    out.append("</section>")
    return "\n".join(out)


def render_html(run: dict, targets: list[Target]) -> str:
    rows = []
    for t in targets:
        h = t.headline or {}
        met = h.get("met")
        cls = "met" if met else ("notmet" if met is False else "")
        rows.append(
            f"<tr><td><a href='#{_e(t.id)}'>{_e(t.id)}</a></td><td>{_e(t.name_vi)}<br><span class='en'>{_e(t.name_en)}</span></td>"
            f"<td>{_e(h.get('period_label') or '–')}</td><td class='num'>{_e(t.comparator)} {_e(_fmt(h.get('target', t.target), 0))}</td>"
            f"<td class='num {cls}'>{_e(_fmt(h.get('value'), t.decimals, t.unit))}</td>"
            f"<td class='{cls}'>{_e('Đạt' if met else ('Chưa đạt' if met is False else '–'))}</td></tr>"
        )
    run_text = (
        f"Lần chạy / Run <b>{_e(run.get('run_id'))}</b>, hoàn thành / finished {_e(run.get('finished_at'))}; "
        f"lần này / this run: {_e(run.get('files_loaded'))} tệp / files, "
        f"{run.get('rows_read') or 0:,} dòng / rows; kho dữ liệu / warehouse: "
        f"{run.get('all_files', 0):,} tệp / files, {run.get('all_rows_read', 0):,} dòng đọc / rows read, "
        f"{run.get('all_rows_quarantined', 0):,} dòng cách ly / quarantined, "
        f"dữ liệu mới nhất / latest delivery {_e(run.get('latest_delivery'))}"
        if run
        else "Chưa có lần chạy / no published run"
    )
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Báo cáo Kế hoạch 190/KH-UBND — Plan 190 report</title>
<style>{CSS}</style></head>
<body>
<h1>Báo cáo kết quả thực hiện Kế hoạch 190/KH-UBND về chuyển đổi số tỉnh Hậu Giang</h1>
<div class="en">Report on Hậu Giang province's Plan 190/KH-UBND digital-transformation targets</div>
<p class="run">{run_text}</p>
<p class="note">Địa bàn: tỉnh Hậu Giang cũ (từ 1/7/2025 thuộc thành phố Cần Thơ); đơn vị hành chính theo
địa giới tại thời điểm của số liệu (huyện, xã cũ đến 30/6/2025; 28 xã, phường mới từ 1/7/2025) /
Area: the former Hậu Giang province (part of Cần Thơ from 1/7/2025); units as they were at the time
(geo_view as_it_was: districts and old communes to 30/6/2025, the 28 new units from 1/7/2025).</p>
<table><tr><th>Mã / Id</th><th>Chỉ tiêu / Target</th><th>Kỳ / Period</th><th>Chỉ tiêu KH / Target</th>
<th>Giá trị / Value</th><th>Đánh giá / Result</th></tr>
{"".join(rows)}
</table>
{"".join(target_html(t) for t in targets)}
<p class="note">Nguồn: kho dữ liệu chiso (bảng mart.*), chỉ đọc / Source: the chiso warehouse (mart.*), read-only.</p>
</body></html>
"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Printing:
    """A page being printed to PDF by headless chromium, in chromium's own processes: the
    caller goes on (the nightly checkpoints and moves the build meanwhile) and ``wait``s."""

    def __init__(self, html_path: Path, pdf_path: Path, timeout: float = 120) -> None:
        browser = chromium()
        if browser is None:
            raise FileNotFoundError("chromium is not installed (apt-get install chromium): no PDF")
        self.pdf_path, self.timeout = pdf_path, timeout
        self._profile = tempfile.TemporaryDirectory()
        self._log = open(Path(self._profile.name) / "chromium.log", "w+b")  # noqa: SIM115
        try:
            self._process = subprocess.Popen(
                [
                    browser,
                    *CHROMIUM_FLAGS,
                    f"--user-data-dir={self._profile.name}",
                    "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf_path}",
                    html_path.resolve().as_uri(),
                ],
                stdin=subprocess.DEVNULL,
                stdout=self._log,  # a file, not a pipe: chromium never blocks on a full pipe
                stderr=subprocess.STDOUT,
            )
        except BaseException:
            self._close()
            raise

    def wait(self) -> Path:
        """The PDF once chromium is done; raises as ``subprocess.run(check=True)`` would, or
        ``RuntimeError`` if chromium wrote nothing."""
        try:
            code = self._process.wait(self.timeout)
            if code:
                self._log.seek(0)
                raise subprocess.CalledProcessError(code, self._process.args, self._log.read())
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
            raise
        finally:
            self._close()
        if not self.pdf_path.exists() or self.pdf_path.stat().st_size == 0:
            raise RuntimeError(f"chromium wrote no PDF at {self.pdf_path}")
        return self.pdf_path

    def cancel(self) -> None:
        self._process.kill()
        self._process.wait()
        self._close()

    def _close(self) -> None:
        self._log.close()
        self._profile.cleanup()


def print_pdf(html_path: Path, pdf_path: Path, timeout: float = 120) -> Path:
    """The page printed to PDF by headless chromium (fonts as the page uses them)."""
    return Printing(html_path, pdf_path, timeout).wait()


@dataclass
class Report:
    html: Path
    pdf: Path | None
    pdf_error: str | None = None


PDF_ERRORS = (OSError, RuntimeError, subprocess.SubprocessError)  # no PDF: said, not raised


@dataclass
class ReportJob:
    """A report whose HTML is written and whose PDF is being printed (``start_report``)."""

    html: Path
    printing: Printing | None = None
    error: str | None = None

    def finish(self) -> Report:
        """The report once its PDF is printed (or why there is none)."""
        if self.printing is None:
            return Report(self.html, None, self.error)
        try:
            return Report(self.html, self.printing.wait())
        except PDF_ERRORS as exc:
            return Report(self.html, None, str(exc))

    def cancel(self) -> None:
        """Stop printing and remove the report (its warehouse was not published)."""
        if self.printing is not None:
            self.printing.cancel()
        shutil.rmtree(self.html.parent, ignore_errors=True)


def start_report(con: duckdb.DuckDBPyConnection, out_dir: Path, pdf: bool = True) -> ReportJob:
    """Write ``report.html`` of the warehouse ``con`` reads into ``out_dir`` and start printing
    ``report.pdf`` (``ReportJob.finish`` waits for it)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    run, targets = gather(con)
    html_path = out_dir / "report.html"
    html_path.write_text(render_html(run, targets), encoding="utf-8")
    if not pdf:
        return ReportJob(html_path)
    try:
        return ReportJob(html_path, Printing(html_path, out_dir / "report.pdf"))
    except PDF_ERRORS as exc:
        return ReportJob(html_path, None, str(exc))


def write_report(warehouse: Path, out_dir: Path, pdf: bool = True) -> Report:
    """Write ``report.html`` (and ``report.pdf``) of the published warehouse into ``out_dir``."""
    if not warehouse.exists():
        raise FileNotFoundError(f"no published warehouse at {warehouse}; run `chiso nightly` first")
    con = connect_published(warehouse)
    try:
        job = start_report(con, out_dir, pdf)
    finally:
        con.close()
    return job.finish()
