"""Staging of the enterprise survey (``enterprise``): typed, labels decoded, tax codes hashed, names dropped.

The export's Vietnamese labels (size class, operating status, yes/no,
platform names) are decoded once, here, to English codes; a label outside
the code lists sends the row to quarantine with the label in the reason.
Tax codes are kept only as a keyed hash; the enterprise's name, its legal
representative and phone never leave this module (not even in quarantine).
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from sources.enterprise import constants as c
from transforms.pii import hash_column, normalise_id
from transforms.staging.rules import RowRule, apply_rules, missing, unknown_reference, valid_at
from transforms.staging.step import StagingStep

META = ["_file_id", "_row", "_file_date"]


def _text(col: str) -> pl.Expr:
    """Trimmed, NFC-composed, lower-cased text (labels compare on this)."""
    return pl.col(col).str.strip_chars().str.normalize("NFC").str.to_lowercase()


def _lower_keys(mapping: Mapping[str, object]) -> dict[str, object]:
    return {k.lower(): v for k, v in mapping.items()}


def decode(col: str, mapping: Mapping[str, object]) -> pl.Expr:
    """Label -> code (null where the label is empty or unknown)."""
    return _text(col).replace_strict(_lower_keys(mapping), default=None)


def outside_labels(col: str, mapping: Mapping[str, object]) -> RowRule:
    """Text is present but is none of the labels of the code list."""
    known = list(_lower_keys(mapping))
    return RowRule(
        "code_outside_list",
        (_text(col) != "") & ~_text(col).is_in(known),
        pl.format(
            "{}={} outside code list [{}]", pl.lit(col), pl.col(col), pl.lit("; ".join(mapping))
        ),
    )


def _integer(col: str) -> pl.Expr:
    return pl.col(col).str.strip_chars().cast(pl.Int64, strict=False)


def _platform_items() -> pl.Expr:
    """The platform list as sent -> lower-cased items; "Không sử dụng" (none) -> empty list."""
    items = (
        pl.col("NenTangSoSuDung")
        .fill_null("")
        .str.normalize("NFC")
        .str.split(c.PLATFORM_SEPARATOR)
        .list.eval(pl.element().str.strip_chars().str.to_lowercase())
        .list.eval(pl.element().filter(pl.element() != ""))
    )
    nothing = _text("NenTangSoSuDung").is_in([x.lower() for x in c.NO_PLATFORM]).fill_null(False)
    return pl.when(nothing).then(pl.lit([], dtype=pl.List(pl.String))).otherwise(items)


def _is_known_platform(item: pl.Expr) -> pl.Expr:
    return item.is_in(list(_lower_keys(c.PLATFORMS))) | item.str.starts_with("khác")


def survey_rules(units: pl.Series, unit_validity: pl.DataFrame | None = None) -> list[RowRule]:
    """With the reference's validity periods, the commune must be valid on the delivery day
    (the survey is closed then, in the units of that day)."""
    year = _integer("NamKhaoSat")
    employees = _integer("SoLaoDong")
    unknown_items = _platform_items().list.eval(
        pl.element().filter(~_is_known_platform(pl.element()))
    )
    return [
        missing("NamKhaoSat"),
        missing("MaSoThue"),
        missing("MaXa"),
        missing("QuyMo"),
        missing("MaNganhKinhTe"),
        missing("TinhTrangHoatDong"),
        RowRule(
            "invalid_year",
            year.is_null() | (year < 2000) | (year > pl.col("_file_date").dt.year() + 1),
            pl.format(
                "NamKhaoSat={} is not a survey year up to the extract's", pl.col("NamKhaoSat")
            ),
        ),
        RowRule(
            "invalid_tax_code",
            ~normalise_id("MaSoThue").str.contains(c.TAX_CODE_PATTERN),
            pl.lit(
                "MaSoThue is not a tax code (10 digits, or 10-3 for a dependent unit); value withheld"
            ),
        ),
        outside_labels("QuyMo", c.SIZE_CLASS),
        RowRule(
            "code_outside_list",
            ~pl.col("MaNganhKinhTe").str.strip_chars().str.to_uppercase().is_in(list(c.SECTIONS)),
            pl.format("MaNganhKinhTe={} is not a VSIC 2018 section (A–U)", pl.col("MaNganhKinhTe")),
        ),
        outside_labels("TinhTrangHoatDong", c.STATUS),
        outside_labels("SuDungHopDongDienTu", c.YES_NO),
        RowRule(
            "code_outside_list",
            unknown_items.list.len() > 0,
            pl.format(
                "NenTangSoSuDung has {} outside the platform list", unknown_items.list.join(", ")
            ),
        ),
        RowRule(
            "invalid_count",
            pl.col("SoLaoDong").is_not_null()
            & (pl.col("SoLaoDong").str.strip_chars() != "")
            & (employees.is_null() | (employees < 0) | (employees > c.MAX_EMPLOYEES)),
            pl.format(
                "SoLaoDong={} is not a headcount between 0 and {}",
                pl.col("SoLaoDong"),
                pl.lit(c.MAX_EMPLOYEES),
            ),
        ),
        unknown_reference("MaXa", units, "unit"),
        *valid_at("MaXa", pl.col("_file_date"), unit_validity, "unit"),
    ]


def _record_columns(df: pl.DataFrame) -> list[str]:
    hidden = set(c.PERSONAL_FIELDS) | {"MaSoThue"} | set(META)
    return [col for col in df.columns if col not in hidden]


def stage_survey(
    raw: pl.DataFrame,
    pii_key: bytes,
    units: pl.Series,
    unit_validity: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Raw survey rows -> ``stg.enterprise_survey`` rows and quarantine rows."""
    rules = survey_rules(units, unit_validity)
    good, quarantine = apply_rules(raw, rules, _record_columns(raw))
    good = hash_column(good, "MaSoThue", pii_key, "tax_code_hash")
    platforms = (
        _platform_items()
        .list.eval(
            pl.when(pl.element().str.starts_with("khác"))
            .then(pl.lit("other"))
            .otherwise(pl.element().replace_strict(_lower_keys(c.PLATFORMS), default="other"))
        )
        .list.unique(maintain_order=True)
    )
    staged = good.select(
        _integer("NamKhaoSat").cast(pl.Int32).alias("survey_year"),
        pl.col("tax_code_hash"),
        pl.col("MaXa").str.strip_chars().alias("unit_code"),
        decode("QuyMo", c.SIZE_CLASS).cast(pl.String).alias("size_class"),
        pl.col("MaNganhKinhTe").str.strip_chars().str.to_uppercase().alias("sector_section"),
        decode("TinhTrangHoatDong", c.STATUS).cast(pl.String).alias("status"),
        _integer("SoLaoDong").cast(pl.Int32).alias("employees"),
        decode("SuDungHopDongDienTu", c.YES_NO).cast(pl.Boolean).alias("uses_e_contract"),
        platforms.cast(pl.List(pl.String)).alias("platforms"),
        platforms.list.len().cast(pl.Int32).alias("n_platforms"),
        *META,
    )
    return staged, quarantine


STEPS = {
    "survey": StagingStep(
        "stg.enterprise_survey",
        lambda raw, ctx: stage_survey(
            raw,
            ctx.pii_key,
            ctx.codes("ref.admin_unit", "unit_code"),
            ctx.validity("ref.admin_unit", "unit_code"),
        ),
    ),
}
