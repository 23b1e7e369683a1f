"""Staging of the health sector's facility list (``health``): typed, code lists checked.

Each row is a facility as it stood at the end of a month; the list's day
(stamped in the file name) is kept as ``snapshot_date`` so that a facility
unchanged from one month to the next is still a row of each month. A row is
quarantined when a field is missing, the facility code is malformed, the type
or ownership is not in the code list, the go-live day cannot be read or lies
after the list's day, or the commune is unknown. No personal data.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from sources.health import constants as c
from transforms.staging.dates import EARLIEST, parse_date, unparseable
from transforms.staging.rules import RowRule, apply_rules, missing, unknown_reference, valid_at
from transforms.staging.step import StagingStep
from transforms.staging.stg_education import outside_labels
from transforms.staging.stg_population import commune_codes

META = ["_file_id", "_row", "_file_date"]
LIVE = "NgayTrienKhaiSoSKDTVNeID"


def facility_rules(communes: pl.Series, unit_validity: pl.DataFrame | None = None) -> list[RowRule]:
    """With the reference's validity periods, the commune must be valid on the list's day."""
    live = parse_date(LIVE)
    return [
        *[missing(f) for f in ("MaCSKCB", "TenCSKCB", "LoaiHinh", "HinhThucSoHuu", "MaXa")],
        RowRule(
            "invalid_code",
            ~pl.col("MaCSKCB").str.contains(c.FACILITY_CODE),
            pl.format("MaCSKCB={} is not a 5-digit facility code", pl.col("MaCSKCB")),
        ),
        outside_labels("LoaiHinh", list(c.FACILITY_TYPE)),
        outside_labels("HinhThucSoHuu", list(c.OWNERSHIP)),
        RowRule(
            "invalid_date",
            unparseable(LIVE),
            pl.format("{}={} is not a date", pl.lit(LIVE), pl.col(LIVE)),
        ),
        RowRule(
            "date_out_of_range",
            (live < pl.lit(EARLIEST)) | (live > pl.col("_file_date") + timedelta(days=1)),
            pl.format(
                "{}={} is before 2000 or after the list's day {}",
                pl.lit(LIVE),
                pl.col(LIVE),
                pl.col("_file_date"),
            ),
        ),
        unknown_reference("MaXa", communes, "unit"),
        *valid_at("MaXa", pl.col("_file_date"), unit_validity, "unit"),
    ]


def stage_facilities(
    raw: pl.DataFrame, communes: pl.Series, unit_validity: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Raw list rows -> ``stg.health_facility`` rows and quarantine rows."""
    raw = raw.with_columns(pl.col("MaCSKCB").str.strip_chars(), pl.col("MaXa").str.strip_chars())
    rules = facility_rules(communes, unit_validity)
    good, quarantine = apply_rules(raw, rules, c.COLUMNS)
    ownership = pl.col("HinhThucSoHuu").str.strip_chars().replace_strict(c.OWNERSHIP, default=None)
    staged = good.select(
        pl.col("MaCSKCB").alias("facility_code"),
        pl.col("TenCSKCB").alias("facility_name"),
        pl.col("LoaiHinh")
        .str.strip_chars()
        .replace_strict(c.FACILITY_TYPE, default=None)
        .alias("facility_type"),
        ownership.alias("ownership"),
        (ownership == "public").alias("is_public"),
        pl.col("MaXa").alias("unit_code"),
        parse_date(LIVE).alias("vneid_health_book_since"),
        pl.col("_file_date").alias("snapshot_date"),
        *META,
    )
    return staged, quarantine


STEPS = {
    "facility": StagingStep(
        "stg.health_facility",
        lambda raw, ctx: stage_facilities(
            raw, commune_codes(ctx), ctx.validity("ref.admin_unit", "unit_code")
        ),
    ),
}
