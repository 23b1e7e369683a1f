"""Staging of the national portal's 766 figures (``national766``): typed, period derived, null kept.

A field the portal left ``null`` stays null (not evaluated), never 0; a
number that is not one, a negative count, a period outside its list go to
quarantine with the rule and the value. ``isProvisional`` is kept as sent
(absent = not provisional). Field names become English here, once.
"""

from __future__ import annotations

import polars as pl

from sources.national766 import constants as c
from transforms.staging.rules import RowRule, apply_rules, missing
from transforms.staging.step import StagingStep

META = ["_file_id", "_row", "_file_date"]
NUMBERS = {
    "numerator": "numerator",
    "denominator": "denominator",
    "ratio": "ratio",
    "score": "score",
    "maxScore": "max_score",
}


def _number(col: str) -> pl.Expr:
    return pl.col(col).str.strip_chars().cast(pl.Float64, strict=False)


def _int(col: str) -> pl.Expr:
    return pl.col(col).str.strip_chars().cast(pl.Int64, strict=False)


def metric_rules() -> list[RowRule]:
    kind = pl.col("timeType").str.strip_chars()
    return [
        missing("provinceCode"),
        missing("code"),
        missing("timeType"),
        missing("year"),
        RowRule(
            "code_outside_list",
            ~kind.is_in(list(c.TIME_TYPES)),
            pl.format("timeType={} outside code list {}", kind, pl.lit(str(list(c.TIME_TYPES)))),
        ),
        RowRule(
            "invalid_period",
            ~_int("year").is_between(2000, 2100)
            | ((kind == "month") & ~_int("month").is_between(1, 12).fill_null(False))
            | ((kind == "quarter") & ~_int("quarter").is_between(1, 4).fill_null(False)),
            pl.format(
                "year={} quarter={} month={} is not a {} period",
                pl.col("year"),
                pl.col("quarter"),
                pl.col("month"),
                kind,
            ),
        ),
        *[
            RowRule(
                "invalid_number",
                pl.col(raw).is_not_null() & _number(raw).is_null(),
                pl.format("{}={} is not a number", pl.lit(raw), pl.col(raw)),
            )
            for raw in NUMBERS
        ],
        *[
            RowRule(
                "negative_count",
                _number(raw) < 0,
                pl.format("{}={} is a negative count", pl.lit(raw), pl.col(raw)),
            )
            for raw in ("numerator", "denominator")
        ],
        RowRule(
            "code_outside_list",
            pl.col("isProvisional").is_not_null()
            & ~pl.col("isProvisional")
            .str.strip_chars()
            .str.to_lowercase()
            .is_in(["true", "false"]),
            pl.format("isProvisional={} is not true or false", pl.col("isProvisional")),
        ),
    ]


def stage_metrics(raw: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Raw answer items -> ``stg.national766_metric`` rows and quarantine rows."""
    good, quarantine = apply_rules(raw, metric_rules(), c.ITEM_FIELDS)
    kind = pl.col("timeType").str.strip_chars()
    year = _int("year").cast(pl.Int32)
    start = (
        pl.when(kind == "month")
        .then(pl.date(year, _int("month").cast(pl.Int8), 1))
        .when(kind == "quarter")
        .then(pl.date(year, (_int("quarter") * 3 - 2).cast(pl.Int8), 1))
        .otherwise(pl.date(year, 1, 1))
    )
    span = pl.when(kind == "month").then(pl.lit("0mo")).when(kind == "quarter").then(pl.lit("2mo"))
    staged = good.with_columns(start.alias("period_start")).select(
        pl.col("provinceCode").str.strip_chars().alias("province_code"),
        pl.col("provinceName").alias("province_name"),
        kind.alias("time_type"),
        "period_start",
        pl.when(kind == "year")
        .then(pl.date(year, 12, 31))
        .otherwise(pl.col("period_start").dt.offset_by(span.fill_null("0mo")).dt.month_end())
        .alias("period_end"),
        pl.col("groupCode").str.strip_chars().alias("group_code"),
        pl.col("code").str.strip_chars().alias("metric_code"),
        pl.col("parentCode").str.strip_chars().alias("parent_code"),
        pl.col("name").alias("metric_name"),
        *[_number(raw).alias(name) for raw, name in NUMBERS.items()],
        (pl.col("isProvisional").str.strip_chars().str.to_lowercase() == "true")
        .fill_null(False)
        .alias("is_provisional"),
        pl.col("updatedAt")
        .str.strip_chars()
        .str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S", strict=False)
        .alias("updated_at"),
        *META,
    )
    return staged, quarantine


STEPS = {
    "evaluation": StagingStep("stg.national766_metric", lambda raw, ctx: stage_metrics(raw)),
}
