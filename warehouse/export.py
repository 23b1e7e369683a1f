"""What leaves the warehouse for officials and BI tools: an Excel workbook, CSV, Parquet.

    chiso export [--out DIR]

Reads only the published file, read-only (safe while a nightly runs: a publish
replaces the file atomically and this connection keeps its snapshot), and writes:

- ``chiso-plan190.xlsx`` (XlsxWriter through Polars): the scorecard (province, then districts
  and communes, Vietnamese and English headers, frozen, met / not met coloured), one sheet per
  target (units × periods), the definitions (from the catalogue) and the data quality;
- ``csv/*.csv`` with a UTF-8 byte-order mark, so Excel on Windows shows Vietnamese as it is;
- ``parquet/*.parquet`` for BI tools.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import xlsxwriter

from warehouse.build import connect_published

LEVEL_VI = {"province": "Tỉnh", "district": "Huyện", "commune": "Xã"}
MET_VI = {True: "Đạt", False: "Chưa đạt"}
# the geography view of a row (mart.indicator_value.geo_view)
GEO_VIEW_VI = {
    "as_it_was": "Theo đơn vị hành chính tại thời điểm",
    "todays_units": "Theo đơn vị hành chính hiện nay",
    "former_district": "Theo huyện cũ",
}
STATUS_VI = {
    "ok": "Có số liệu",
    "no_data": "Không có số liệu",
    "blocked": "Bị chặn (giữ số cũ)",
    "source_missing": "Thiếu nguồn",
    "invalid": "Số liệu mâu thuẫn",
}

# the scorecard sheet and CSV: column -> (Vietnamese header, English header)
SCORECARD_HEADERS: dict[str, tuple[str, str]] = {
    "indicator_id": ("Mã chỉ tiêu", "Indicator"),
    "name_vi": ("Tên chỉ tiêu", "Indicator name (Vietnamese)"),
    "name_en": ("Tên chỉ tiêu (tiếng Anh)", "Indicator name"),
    "period_label": ("Kỳ", "Period"),
    "level_vi": ("Cấp", "Level"),
    "admin_code": ("Mã đơn vị", "Unit code"),
    "admin_name": ("Đơn vị", "Unit"),
    "parent_name": ("Đơn vị cấp trên", "Parent unit"),
    "target": ("Chỉ tiêu kế hoạch", "Target"),
    "comparator": ("So sánh", "Comparator"),
    "value": ("Giá trị", "Value"),
    "met_vi": ("Đạt / chưa đạt", "Met"),
    "gap": ("Chênh lệch so với chỉ tiêu", "Gap to target"),
    "change": ("Thay đổi so với kỳ trước", "Change since previous period"),
    "numerator": ("Tử số", "Numerator"),
    "denominator": ("Mẫu số", "Denominator"),
    "status_vi": ("Trạng thái", "Status"),
    "status_reason": ("Ghi chú", "Reason"),
    "geo_view_vi": ("Cách tính theo địa giới", "Geography view"),
}

# every unit of every indicator at the period the scorecard shows for it (province, districts, communes)
SCORECARD_SQL = """
with

catalogue as (
    select * from mart.indicator_catalogue
),

chosen as (
    select distinct indicator_id, period_end from mart.scorecard
),

values_with_previous as (
    select
        v.*,
        lag(v.value) over (
            partition by v.indicator_id, v.period_type, v.geo_view, v.admin_code, v.unit_valid_from
            order by v.period_end
        ) as previous_value
    from mart.indicator_value as v
),

final as (
    select
        v.indicator_id,
        c.name_vi,
        c.name_en,
        v.period_label,
        v.admin_level,
        v.admin_code,
        v.admin_name,
        v.parent_name,
        v.target,
        v.comparator,
        v.display_value as value,
        v.met,
        round(case when c.lower_is_better then v.target - v.value else v.value - v.target end,
              c.display_decimals) as gap,
        round(v.value - v.previous_value, c.display_decimals) as change,
        v.numerator,
        v.denominator,
        v.status,
        v.status_reason,
        v.geo_view,
        v.exact,
        v.unit_valid_from,
        v.unit_valid_to
    from values_with_previous as v
    join catalogue as c on c.indicator_id = v.indicator_id
    join chosen as s
        on s.indicator_id = v.indicator_id and s.period_end is not distinct from v.period_end
    -- the default display: each unit as it was (the other views: sheet indicator_value)
    where (v.period_type = c.headline_period or v.period_start is null) and v.geo_view = 'as_it_was'
)

select * from final
order by
    indicator_id like 'R%',
    indicator_id,
    case admin_level when 'province' then 0 when 'district' then 1 else 2 end,
    coalesce(parent_name, ''),
    admin_code,
    unit_valid_from
"""

DEFINITIONS_SQL = """
select indicator_id as "Mã / Id", name_vi as "Tên chỉ tiêu", name_en as "Indicator",
       comparator || ' ' || target as "Chỉ tiêu / Target", unit as "Đơn vị tính / Unit",
       source as "Nguồn / Source", from_table as "Bảng / Table", date_column as "Cột ngày / Date column",
       period_join as "Cách tính kỳ / Period join", row_filter as "Điều kiện / Row filter",
       numerator as "Tử số / Numerator", denominator as "Mẫu số / Denominator",
       counted_vi || ' (' || counted_en || ')' as "Đếm / Counts",
       array_to_string(periods, ', ') as "Kỳ / Periods", definition as "Định nghĩa / Definition",
       reference as "Căn cứ / Reference", variant_of as "Cách đọc khác của / Another reading of"
from mart.indicator_catalogue order by variant_of is not null, indicator_id like 'R%', indicator_id
"""

QUALITY_SQL: dict[str, tuple[str, str]] = {
    "blocked": (
        "Chỉ tiêu bị chặn / Blocked indicators",
        "select indicator_id, reason, n_values_kept, latest_period_kept from mart.blocked_indicator",
    ),
    "completeness": (
        "Dữ liệu thiếu hoặc muộn / Extracts missing or late",
        """select source, period_start, period_end, due_date, received_on, status
           from core.fct_completeness where status in ('missing', 'late')
           order by source, period_start""",
    ),
    "checks": (
        "Kiểm tra không đạt / Failed checks (latest run)",
        """select severity, suite, table_name, expectation, "column", observed_value, unexpected_count
           from mart.check_result_latest where not success order by severity, suite""",
    ),
    "quarantine": (
        "Dòng bị cách ly / Quarantined rows",
        "select source, dataset, rule, status, n_rows, n_files, example_reason from mart.quarantine_summary",
    ),
    "files": (
        "Cân đối tệp / File balance by source",
        """select source, count(*) as files, sum(rows_read) as rows_read, sum(rows_loaded) as rows_loaded,
                  sum(rows_quarantined) as rows_quarantined, sum(rows_duplicate) as rows_duplicate,
                  count(*) filter (where not balanced) as files_unbalanced,
                  count(*) filter (where status = 'error') as files_unreadable
           from mart.file_balance group by source order by source""",
    ),
}

# Parquet and CSV: the relations BI tools and spreadsheets take
TABLES = {
    "indicator_value": "select * from mart.indicator_value",
    "indicator_drilldown": (
        "select * from mart.indicator_drilldown order by indicator_id, dimension, period_type, "
        "period_end, admin_level, admin_code, gap_rank"
    ),
    "indicator_catalogue": "select * from mart.indicator_catalogue",
    "lineage": "select * from mart.lineage",
}


class ExportError(Exception):
    """The published warehouse cannot be exported (missing, or not a chiso warehouse)."""


@dataclass
class Exported:
    workbook: Path
    csv: list[Path] = field(default_factory=list)
    parquet: list[Path] = field(default_factory=list)
    run_id: str | None = None


def open_published(path: Path) -> duckdb.DuckDBPyConnection:
    """The published warehouse, read-only; a clear error if there is none."""
    if not path.exists():
        raise ExportError(f"no published warehouse at {path}; run `chiso nightly` first")
    return connect_published(path)


def published_run(con: duckdb.DuckDBPyConnection) -> tuple[str | None, object]:
    row = con.execute(
        "select run_id, finished_at from audit.run where status like 'published%' "
        "order by finished_at desc limit 1"
    ).fetchall()
    return (row[0][0], row[0][1]) if row else (None, None)


def frame(con: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    return con.sql(sql).pl()


def scorecard_frame(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every unit of every indicator at the scorecard's period, with Vietnamese labels."""
    df = frame(con, SCORECARD_SQL)
    return df.with_columns(
        pl.col("admin_level").replace_strict(LEVEL_VI, default=None).alias("level_vi"),
        pl.col("met").replace_strict(MET_VI, default="", return_dtype=pl.String).alias("met_vi"),
        pl.col("status").replace_strict(STATUS_VI, default=pl.col("status")).alias("status_vi"),
        pl.col("geo_view")
        .replace_strict(GEO_VIEW_VI, default=pl.col("geo_view"))
        .alias("geo_view_vi"),
    )


def target_frame(con: duckdb.DuckDBPyConnection, indicator_id: str) -> tuple[pl.DataFrame, str]:
    """One target: units (rows: province, districts, communes) × periods (columns), display values.

    Monthly where the indicator has months, else its headline period type.
    """
    periods, headline = con.execute(
        "select periods, headline_period from mart.indicator_catalogue where indicator_id = ?",
        [indicator_id],
    ).fetchall()[0]
    period_type = "month" if "month" in periods else headline
    long = frame(
        con,
        f"""select admin_level, admin_code, admin_name, period_label, period_end, display_value
            from mart.indicator_value
            where indicator_id = '{indicator_id}' and period_type = '{period_type}'
              and period_start is not null and geo_view = 'as_it_was'
            order by period_end""",
    )
    if long.is_empty():
        return pl.DataFrame({"Đơn vị / Unit": []}), period_type
    labels = long.select("period_label").unique(maintain_order=True).to_series().to_list()
    wide = long.pivot(
        on="period_label",
        index=["admin_level", "admin_code", "admin_name"],
        values="display_value",
        aggregate_function="first",
    )
    order = {"province": 0, "district": 1, "commune": 2}
    wide = (
        wide.with_columns(pl.col("admin_level").replace_strict(order, default=3).alias("_o"))
        .sort(["_o", "admin_code"])
        .drop("_o")
        .with_columns(pl.col("admin_level").replace_strict(LEVEL_VI, default=None))
        .rename(
            {
                "admin_level": "Cấp / Level",
                "admin_code": "Mã / Code",
                "admin_name": "Đơn vị / Unit",
            }
        )
    )
    return wide.select(["Cấp / Level", "Mã / Code", "Đơn vị / Unit", *labels]), period_type


def _formats(wb: xlsxwriter.Workbook) -> dict:
    return {
        "title": wb.add_format({"bold": True, "font_size": 13}),
        "head_vi": wb.add_format(
            {"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF", "text_wrap": True}
        ),
        "head_en": wb.add_format(
            {"italic": True, "bg_color": "#DDEBF7", "text_wrap": True, "bottom": 1}
        ),
        "met": wb.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"}),
        "not_met": wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"}),
        "section": wb.add_format({"bold": True, "font_size": 12, "top": 1}),
    }


def write_scorecard_sheet(wb: xlsxwriter.Workbook, df: pl.DataFrame, fmt: dict, title: str) -> None:
    """The scorecard: title, a Vietnamese and an English header row (frozen), met / not met coloured."""
    ws = wb.add_worksheet("Bảng điểm - Scorecard")
    cols = list(SCORECARD_HEADERS)
    ws.write(0, 0, title, fmt["title"])
    for j, col in enumerate(cols):
        vi, en = SCORECARD_HEADERS[col]
        ws.write(1, j, vi, fmt["head_vi"])
        ws.write(2, j, en, fmt["head_en"])
    for i, row in enumerate(df.select(cols).iter_rows(), start=3):
        for j, v in enumerate(row):
            if v is None:
                ws.write_blank(i, j, None)
            else:
                ws.write(i, j, v)
    last = 3 + max(df.height, 1) - 1
    met_col = cols.index("met_vi")
    letter = xlsxwriter.utility.xl_col_to_name(met_col)
    for rule, key in ((MET_VI[True], "met"), (MET_VI[False], "not_met")):
        ws.conditional_format(
            3,
            0,
            last,
            len(cols) - 1,
            {"type": "formula", "criteria": f'=${letter}4="{rule}"', "format": fmt[key]},
        )
    ws.freeze_panes(3, 3)
    ws.autofilter(2, 0, last, len(cols) - 1)
    widths = {
        "name_vi": 48,
        "name_en": 40,
        "admin_name": 24,
        "parent_name": 22,
        "status_reason": 50,
    }
    for j, col in enumerate(cols):
        ws.set_column(j, j, widths.get(col, 13))
    ws.set_row(1, 32)


def write_frame_sheet(
    wb: xlsxwriter.Workbook, name: str, df: pl.DataFrame, titles: list[str], fmt: dict
) -> None:
    """A table sheet (Polars write_excel) under title lines, header frozen."""
    ws = wb.add_worksheet(name)
    for i, t in enumerate(titles):
        ws.write(i, 0, t, fmt["title"] if i == 0 else None)
    top = len(titles)
    if df.width == 0:
        return
    df.write_excel(
        workbook=wb,
        worksheet=name,
        position=(top, 0),
        table_style="Table Style Light 9",
        autofit=True,
        float_precision=2,
    )
    ws.freeze_panes(top + 1, min(3, df.width))


def write_quality_sheet(wb: xlsxwriter.Workbook, con: duckdb.DuckDBPyConnection, fmt: dict) -> None:
    """Data quality: blocked indicators, missing or late extracts, failed checks, quarantine, files."""
    ws = wb.add_worksheet("Chất lượng - Quality")
    ws.write(0, 0, "Chất lượng dữ liệu / Data quality", fmt["title"])
    row = 2
    for title, sql in QUALITY_SQL.values():
        df = frame(con, sql)
        ws.write(row, 0, f"{title} ({df.height})", fmt["section"])
        row += 1
        for j, col in enumerate(df.columns):
            ws.write(row, j, col, fmt["head_en"])
        for r in df.iter_rows():
            row += 1
            for j, v in enumerate(r):
                ws.write(row, j, v if not hasattr(v, "isoformat") else v.isoformat())
        if df.is_empty():
            row += 1
            ws.write(row, 0, "không có / none")
        row += 3
    ws.set_column(0, 8, 18)


def write_workbook(con: duckdb.DuckDBPyConnection, path: Path) -> Path:
    run_id, finished = published_run(con)
    title = (
        "Kế hoạch 190/KH-UBND — Bảng điểm chuyển đổi số / Plan 190 digital-transformation "
        f"scorecard — run {run_id}, {finished:%Y-%m-%d %H:%M}"
        if finished
        else "Kế hoạch 190/KH-UBND — Bảng điểm / Scorecard"
    )
    wb = xlsxwriter.Workbook(str(path))
    fmt = _formats(wb)
    write_scorecard_sheet(wb, scorecard_frame(con), fmt, title)
    catalogue = con.execute(
        "select indicator_id, name_vi, name_en, comparator, target, unit from mart.indicator_catalogue "
        "where variant_of is null order by indicator_id like 'R%', indicator_id"
    ).fetchall()
    for ind_id, name_vi, name_en, comparator, target, unit in catalogue:
        wide, period_type = target_frame(con, ind_id)
        target_text = f"{comparator} {target:g}{'%' if unit == 'percent' else ''}" if target else ""
        write_frame_sheet(
            wb,
            ind_id,
            wide,
            [
                f"{ind_id} — {name_vi}",
                f"{name_en}; chỉ tiêu / target {target_text}; kỳ / periods: {period_type}",
            ],
            fmt,
        )
    write_frame_sheet(
        wb,
        "Định nghĩa - Definitions",
        frame(con, DEFINITIONS_SQL),
        ["Định nghĩa chỉ tiêu / Indicator definitions (mart.indicator_catalogue)"],
        fmt,
    )
    write_quality_sheet(wb, con, fmt)
    wb.close()
    return path


def flat(df: pl.DataFrame) -> pl.DataFrame:
    """Lists and structs as JSON text (CSV has no nested values)."""
    nested = [c for c, dt in df.schema.items() if dt.is_nested()]
    return df.with_columns(
        pl.Series(
            c,
            [None if v is None else json.dumps(v, default=str, ensure_ascii=False) for v in df[c]],
            dtype=pl.String,
        )
        for c in nested
    )


def write_csv_with_bom(df: pl.DataFrame, path: Path) -> Path:
    """CSV as Excel on Windows reads Vietnamese: UTF-8 with a byte-order mark."""
    flat(df).write_csv(path, include_bom=True)
    return path


def export(warehouse: Path, out_dir: Path) -> Exported:
    """Write the workbook, the CSV files and the Parquet files of the published warehouse."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "csv").mkdir(exist_ok=True)
    (out_dir / "parquet").mkdir(exist_ok=True)
    con = open_published(warehouse)
    try:
        done = Exported(write_workbook(con, out_dir / "chiso-plan190.xlsx"))
        done.run_id = published_run(con)[0]
        scorecard = scorecard_frame(con).drop(["level_vi", "met_vi", "status_vi"])
        done.csv.append(write_csv_with_bom(scorecard, out_dir / "csv" / "scorecard.csv"))
        scorecard.write_parquet(out_dir / "parquet" / "scorecard.parquet")
        done.parquet.append(out_dir / "parquet" / "scorecard.parquet")
        for name, sql in TABLES.items():
            df = frame(con, sql)
            done.csv.append(write_csv_with_bom(df, out_dir / "csv" / f"{name}.csv"))
            target = out_dir / "parquet" / f"{name}.parquet"
            con.execute(f"copy ({sql}) to '{target}' (format parquet)")
            done.parquet.append(target)
    finally:
        con.close()
    return done
