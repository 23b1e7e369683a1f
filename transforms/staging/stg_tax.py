"""Staging of the tax department's retail-store register (``tax``): typed, codes checked, tax codes hashed.

Taxpayers' tax codes (since 1/7/2025 a household business's tax code is its
owner's 12-digit citizen ID) are kept only as a keyed hash; the taxpayer's
and the store's names, the street address and the phone never leave this
module, not even in quarantine.
"""

from __future__ import annotations

import polars as pl

from sources.tax import constants as c
from transforms.pii import hash_column, normalise_id
from transforms.staging.dates import EARLIEST, parse_date, unparseable
from transforms.staging.rules import RowRule, apply_rules, missing, unknown_reference, valid_at
from transforms.staging.step import StagingStep

META = ["_file_id", "_row", "_file_date"]
DATES = {
    "NgayChotSoLieu": "snapshot_date",
    "NgayBatDauKinhDoanh": "started_on",
    "NgayDangKyHDDTMTT": "cash_register_einvoice_since",
}


def _code(col: str) -> pl.Expr:
    return pl.col(col).str.strip_chars()


def in_list(col: str, codes: list[str], what: str) -> RowRule:
    return RowRule(
        "code_outside_list",
        (_code(col) != "") & ~_code(col).is_in(codes),
        pl.format("{}={} is not a known {}", pl.lit(col), pl.col(col), pl.lit(what)),
    )


def _after_snapshot(col: str) -> RowRule:
    """A date before 2000, or after the day the register was snapshot."""
    day, snap = parse_date(col), parse_date("NgayChotSoLieu")
    return RowRule(
        "date_out_of_range",
        (day < pl.lit(EARLIEST)) | (day > snap),
        pl.format(
            "{}={} is before 2000 or after the snapshot date {}",
            pl.lit(col),
            pl.col(col),
            pl.col("NgayChotSoLieu"),
        ),
    )


def store_rules(units: pl.Series, unit_validity: pl.DataFrame | None = None) -> list[RowRule]:
    """With the reference's validity periods, the commune must be valid on the snapshot's date."""
    snap = parse_date("NgayChotSoLieu")
    return [
        missing("NgayChotSoLieu"),
        missing("MaCuaHang"),
        missing("MaSoThue"),
        missing("MaXa"),
        missing("MaNganhNghe"),
        missing("TrangThaiMST"),
        *[
            RowRule(
                "invalid_date",
                unparseable(f),
                pl.format("{}={} is not a date", pl.lit(f), pl.col(f)),
            )
            for f in DATES
        ],
        RowRule(
            "date_out_of_range",
            (snap < pl.lit(EARLIEST)) | (snap > pl.col("_file_date")),
            pl.format(
                "NgayChotSoLieu={} is before 2000 or after the extract date {}",
                pl.col("NgayChotSoLieu"),
                pl.col("_file_date"),
            ),
        ),
        _after_snapshot("NgayBatDauKinhDoanh"),
        _after_snapshot("NgayDangKyHDDTMTT"),
        RowRule(
            "invalid_tax_code",
            ~normalise_id("MaSoThue").str.contains(c.TAX_CODE_PATTERN),
            pl.lit(
                "MaSoThue is not a tax code (10 digits, 10-3) or a citizen ID (12 digits); value withheld"
            ),
        ),
        in_list("LoaiNguoiNopThue", list(c.TAXPAYER_TYPE), "taxpayer type"),
        in_list(
            "MaNganhNghe", list(c.BUSINESS_LINES), "retail business line (VSIC 47xx in stores)"
        ),
        in_list("TrangThaiMST", list(c.STATUS), "TMS taxpayer status"),
        unknown_reference("MaXa", units, "unit"),
        *valid_at("MaXa", snap, unit_validity, "unit"),
    ]


def _record_columns(df: pl.DataFrame) -> list[str]:
    hidden = set(c.PERSONAL_FIELDS) | {"MaSoThue"} | set(META)
    return [col for col in df.columns if col not in hidden]


def stage_stores(
    raw: pl.DataFrame,
    pii_key: bytes,
    units: pl.Series,
    unit_validity: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Raw register rows -> ``stg.tax_retail_store`` rows and quarantine rows."""
    rules = store_rules(units, unit_validity)
    good, quarantine = apply_rules(raw, rules, _record_columns(raw))
    good = hash_column(good, "MaSoThue", pii_key, "taxpayer_hash")
    status = _code("TrangThaiMST").replace_strict(c.STATUS, default=None)
    staged = good.select(
        parse_date("NgayChotSoLieu").alias("snapshot_date"),
        _code("MaCuaHang").alias("store_id"),
        pl.col("taxpayer_hash"),
        _code("LoaiNguoiNopThue")
        .replace_strict(c.TAXPAYER_TYPE, default=None)
        .cast(pl.String)
        .alias("taxpayer_type"),
        _code("MaXa").alias("unit_code"),
        _code("MaNganhNghe").alias("business_line"),
        _code("MaNganhNghe").is_in(list(c.CONSUMER_GOODS_LINES)).alias("is_consumer_goods"),
        _code("TrangThaiMST").alias("status_code"),
        status.cast(pl.String).alias("status"),
        (status == "active").fill_null(False).alias("is_active"),
        parse_date("NgayBatDauKinhDoanh").alias("started_on"),
        parse_date("NgayDangKyHDDTMTT").alias("cash_register_einvoice_since"),
        *META,
    )
    return staged, quarantine


STEPS = {
    "store": StagingStep(
        "stg.tax_retail_store",
        lambda raw, ctx: stage_stores(
            raw,
            ctx.pii_key,
            ctx.codes("ref.admin_unit", "unit_code"),
            ctx.validity("ref.admin_unit", "unit_code"),
        ),
    ),
}
