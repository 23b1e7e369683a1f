"""Staging of the population extract (``population``): commune x age band x cut-off day, typed and checked.

The extract is aggregate (no person records). A row is quarantined when a
field is missing, the age band or the commune is not one the warehouse
knows, a count is not a whole number, negative or absurd, the sexes do not
add up to the total, or the cut-off day is not a date or lies after the
delivery.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from sources.population import constants as c
from transforms.staging.dates import EARLIEST, parse_date, unparseable
from transforms.staging.rules import (
    RowRule,
    apply_rules,
    missing,
    unknown_reference,
    valid_at,
    whole_number,
)
from transforms.staging.step import StageContext, StagingStep

META = ["_file_id", "_row", "_file_date"]
COUNTS = ["Nam", "Nu", "TongSo"]


def _int(col: str) -> pl.Expr:
    return whole_number(col)


def commune_codes(ctx: StageContext) -> pl.Series:
    """Commune-level unit codes of the reference list (a district or province code is not a commune)."""
    rows = ctx.con.execute(
        "select unit_code from ref.admin_unit where admin_level = 'commune'"
    ).fetchall()
    return pl.Series("unit_code", [r[0] for r in rows], dtype=pl.String)


def count_rules(columns: list[str], maximum: int) -> list[RowRule]:
    """Counts must be whole numbers, not negative, not absurd."""
    rules = []
    for col in columns:
        rules.append(
            RowRule(
                "invalid_count",
                pl.col(col).is_not_null() & (_int(col).is_null() | (_int(col) < 0)),
                pl.format("{}={} is not a whole number of people", pl.lit(col), pl.col(col)),
            )
        )
        rules.append(
            RowRule(
                "absurd_count",
                _int(col) > maximum,
                pl.format(
                    "{}={} is more than {} for one commune and band",
                    pl.lit(col),
                    pl.col(col),
                    pl.lit(maximum),
                ),
            )
        )
    return rules


def age_band_rules(communes: pl.Series, unit_validity: pl.DataFrame | None = None) -> list[RowRule]:
    """With the reference's validity periods, the commune must be valid on the cut-off day."""
    cutoff = parse_date("NgayChotSoLieu")
    return [
        missing("MaXa"),
        missing("NhomTuoi"),
        missing("TongSo"),
        missing("NgayChotSoLieu"),
        RowRule(
            "code_outside_list",
            ~pl.col("NhomTuoi").str.strip_chars().is_in(list(c.AGE_BANDS)).fill_null(False),
            pl.format(
                "NhomTuoi={} outside code list [{}]",
                pl.col("NhomTuoi"),
                pl.lit(", ".join(c.AGE_BANDS)),
            ),
        ),
        *count_rules(COUNTS, c.MAX_BAND_COUNT),
        RowRule(
            "inconsistent_total",
            (_int("Nam") + _int("Nu")) != _int("TongSo"),
            pl.format(
                "Nam={} + Nu={} is not TongSo={}", pl.col("Nam"), pl.col("Nu"), pl.col("TongSo")
            ),
        ),
        RowRule(
            "invalid_date",
            unparseable("NgayChotSoLieu"),
            pl.format("NgayChotSoLieu={} is not a date", pl.col("NgayChotSoLieu")),
        ),
        RowRule(
            "date_out_of_range",
            (cutoff < pl.lit(EARLIEST)) | (cutoff > pl.col("_file_date") + timedelta(days=1)),
            pl.format(
                "NgayChotSoLieu={} is before 2000 or after the extract date {}",
                pl.col("NgayChotSoLieu"),
                pl.col("_file_date"),
            ),
        ),
        unknown_reference("MaXa", communes, "unit"),
        *valid_at("MaXa", cutoff, unit_validity, "unit"),
    ]


def stage_age_bands(
    raw: pl.DataFrame, communes: pl.Series, unit_validity: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Raw extract rows -> ``stg.population_age_band`` rows and quarantine rows."""
    raw = raw.with_columns(pl.col("MaXa").str.strip_chars(), pl.col("NhomTuoi").str.strip_chars())
    rules = age_band_rules(communes, unit_validity)
    good, quarantine = apply_rules(raw, rules, c.COLUMNS)
    band = pl.col("NhomTuoi")
    staged = good.select(
        pl.col("MaXa").alias("unit_code"),
        band.alias("age_band"),
        band.replace_strict(c.AGE_BANDS, default=None, return_dtype=pl.Int16).alias("age_min"),
        (
            band.replace_strict(c.AGE_BANDS, default=None, return_dtype=pl.Int16) >= c.ADULT_AGE
        ).alias("is_adult"),
        _int("Nam").alias("male"),
        _int("Nu").alias("female"),
        _int("TongSo").alias("residents"),
        parse_date("NgayChotSoLieu").alias("snapshot_date"),
        *META,
    )
    return staged, quarantine


STEPS = {
    "age_band": StagingStep(
        "stg.population_age_band",
        lambda raw, ctx: stage_age_bands(
            raw, commune_codes(ctx), ctx.validity("ref.admin_unit", "unit_code")
        ),
    ),
}
