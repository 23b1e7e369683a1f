"""Staging of the statistics office's GRDP / digital-economy tables (``stats``).

Each tidy cell of a workbook becomes a typed row: the province's unit code
(from the area named in the title, checked against the reference units), the
measure code (from the row label), the period (quarter or year with its
dates), the value in billion VND or percent, and the release status. There is
no personal data in these tables. A cell that breaks a rule goes to
quarantine with the rule and the reason.
"""

from __future__ import annotations

import polars as pl

from sources.stats import constants as c
from transforms.staging.rules import RowRule, apply_rules, missing
from transforms.staging.step import StageContext, StagingStep
from warehouse.build import table_exists

META = ["_file_id", "_row", "_file_date"]
PERIOD = r"^(\d{4})(?:-Q([1-4]))?$"


def norm(col: str) -> pl.Expr:
    """Text for matching a code list: NFC, trimmed, single spaces, lower case."""
    return (
        pl.col(col)
        .str.normalize("NFC")
        .str.strip_chars()
        .str.replace_all(r"\s+", " ")
        .str.to_lowercase()
    )


def measure_key(col: str = "measure") -> pl.Expr:
    """A row label as the code list knows it: 'Trong đó:' and leading dashes dropped."""
    return norm(col).str.replace(r"^(trong đó\s*:\s*)?[-+*•]?\s*", "").str.strip_chars()


def area_key(col: str = "area") -> pl.Expr:
    """'Tỉnh Hậu Giang' -> 'hậu giang'."""
    return norm(col).str.replace(r"^(tỉnh|thành phố|tp\.?)\s+", "")


def number(col: str) -> pl.Expr:
    """'58669', '58669.5', Vietnamese '58.669,5' -> float; null where it is not a number.

    Dots alone grouping thousands ('15.309') are read as the workbook writes numbers: thousands
    where its other cells carry decimal commas (``_decimal_comma``, set by ``stage_grdp``), else a
    decimal point.
    """
    text = pl.col(col).str.strip_chars().str.replace_all(r"\s", "")
    grouped = text.str.contains(r"^[+-]?\d{1,3}(\.\d{3})+$") & pl.col("_decimal_comma")
    vietnamese = text.str.contains(",") | grouped
    text = (
        pl.when(vietnamese)
        .then(text.str.replace_all(r"\.", "").str.replace(",", "."))
        .otherwise(text)
    )
    return text.cast(pl.Float64, strict=False)


def period_parts() -> tuple[pl.Expr, pl.Expr]:
    year = pl.col("period").str.strip_chars().str.extract(PERIOD, 1).cast(pl.Int32, strict=False)
    quarter = pl.col("period").str.strip_chars().str.extract(PERIOD, 2).cast(pl.Int8, strict=False)
    return year, quarter


def period_start() -> pl.Expr:
    year, quarter = period_parts()
    return pl.date(year, (quarter.fill_null(1).cast(pl.Int32) - 1) * 3 + 1, 1)


def period_end() -> pl.Expr:
    year, quarter = period_parts()
    months = pl.when(quarter.is_null()).then(pl.lit("12mo")).otherwise(pl.lit("3mo"))
    return period_start().dt.offset_by(months).dt.offset_by("-1d")


def province_lookup(ctx: StageContext) -> dict[str, str]:
    """Normalised province name -> unit code, from the reference units ('hậu giang' -> '93')."""
    if not table_exists(ctx.con, "ref.admin_unit"):
        return {}
    rows = ctx.con.execute(
        "select unit_code, name_vi from ref.admin_unit where admin_level = 'province'"
    ).fetchall()
    frame = pl.DataFrame(rows, schema={"unit_code": pl.String, "area": pl.String}, orient="row")
    keys = frame.select(area_key().alias("key"), "unit_code")
    return dict(keys.iter_rows())


def rules(provinces: dict[str, str], known_units: pl.Series) -> list[RowRule]:
    measure = measure_key().replace_strict(c.MEASURES, default=None)
    unit = norm("unit").replace_strict(c.UNITS, default=None)
    value = number("value")
    unit_code = area_key().replace_strict(provinces, default=None, return_dtype=pl.String)
    year, _ = period_parts()
    return [
        missing("period"),
        missing("measure"),
        missing("value"),
        missing("area"),
        RowRule(
            "unknown_unit",
            unit_code.is_null() | ~unit_code.is_in(known_units.implode()),
            pl.format("area={} is not a known province of the reference units", pl.col("area")),
        ),
        RowRule(
            "code_outside_list",
            measure.is_null(),
            pl.format("measure={} is not a known indicator row", pl.col("measure")),
        ),
        RowRule(
            "code_outside_list",
            unit.is_null(),
            pl.format("unit={} outside code list [Tỷ đồng, %]", pl.col("unit")),
        ),
        RowRule(
            "code_outside_list",
            pl.col("release").is_not_null()
            & norm("release").replace_strict(c.RELEASES, default=None).is_null(),
            pl.format("release={} outside code list", pl.col("release")),
        ),
        RowRule(
            "invalid_period",
            year.is_null(),
            pl.format("period={} is not a quarter or a year", pl.col("period")),
        ),
        RowRule(
            "invalid_number",
            value.is_null(),
            pl.format("value={} at {} is not a number", pl.col("value"), pl.col("cell")),
        ),
        RowRule(
            "unit_mismatch",
            measure.replace_strict(c.MEASURE_UNIT, default=None) != unit,
            pl.format(
                "measure {} is in {}, the sheet says {}",
                pl.col("measure"),
                measure.replace_strict(c.MEASURE_UNIT, default=None),
                pl.col("unit"),
            ),
        ),
        RowRule(
            "negative_value",
            value < 0,
            pl.format("value={} at {} is negative", pl.col("value"), pl.col("cell")),
        ),
        RowRule(
            "absurd_value",
            ((unit == "billion_vnd") & (value > c.MAX_BILLION_VND))
            | ((unit == "percent") & (value > 100)),
            pl.format(
                "value={} at {} is beyond any province's scale", pl.col("value"), pl.col("cell")
            ),
        ),
        RowRule(
            "date_out_of_range",
            (year < 2000) | (period_start() > pl.col("_file_date")),
            pl.format(
                "period {} is before 2000 or begins after the release date {}",
                pl.col("period"),
                pl.col("_file_date"),
            ),
        ),
    ]


def stage_grdp(
    raw: pl.DataFrame, provinces: dict[str, str], known_units: pl.Series
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Tidy workbook cells -> ``stg.stats_grdp_*`` rows and quarantine rows."""
    raw = raw.with_columns(
        pl.col("value").str.contains(",").any().over("_file_id").alias("_decimal_comma")
    )
    good, quarantine = apply_rules(raw, rules(provinces, known_units), c.COLUMNS)
    year, quarter = period_parts()
    staged = good.select(
        area_key()
        .replace_strict(provinces, default=None, return_dtype=pl.String)
        .alias("unit_code"),
        pl.col("area").alias("area_name"),
        measure_key().replace_strict(c.MEASURES, default=None).alias("measure"),
        pl.col("measure_code"),
        pl.when(quarter.is_null())
        .then(pl.lit("year"))
        .otherwise(pl.lit("quarter"))
        .alias("period_type"),
        year.alias("year"),
        quarter.alias("quarter"),
        period_start().alias("period_start"),
        period_end().alias("period_end"),
        number("value").alias("value"),
        norm("unit").replace_strict(c.UNITS, default=None).alias("unit"),
        norm("release").replace_strict(c.RELEASES, default=None).alias("release"),
        pl.col("sheet"),
        pl.col("cell"),
        # a business column, so that a later release repeating an earlier one's cell is loaded
        # (and can win as the latest delivery) instead of being taken for a duplicate
        pl.col("_file_date").alias("released_on"),
        *META,
    )
    return staged, quarantine


def _step(table: str) -> StagingStep:
    return StagingStep(
        table,
        lambda raw, ctx: stage_grdp(
            raw, province_lookup(ctx), ctx.codes("ref.admin_unit", "unit_code")
        ),
    )


STEPS = {
    "quarterly": _step("stg.stats_grdp_quarterly"),
    "yearly": _step("stg.stats_grdp_yearly"),
}
