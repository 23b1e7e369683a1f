"""Staging of the operators' FTTH reports and the household counts (``telecom``).

Each operator writes the quarter its own way ("Quý I/2025", "2025-Q1",
"Q1/2025", "2025Q1") and its own dates; both are read here, once. The address
code identifies a dwelling, so it is kept only as a keyed hash (enough to
count a household once across operators); the street address is dropped.
"""

from __future__ import annotations

import polars as pl

from sources.telecom import constants as c
from transforms.pii import hash_column
from transforms.staging.dates import EARLIEST, parse_date
from transforms.staging.rules import (
    RowRule,
    apply_rules,
    missing,
    unknown_reference,
    valid_at,
    whole_number,
)
from transforms.staging.step import StagingStep

META = ["_file_id", "_row", "_file_date"]
_YEAR_FIRST = r"^(\d{4})\s*-?\s*Q([1-4])$"
_QUARTER_FIRST = r"^(?:Q|QUÝ)\s*(IV|III|II|I|[1-4])\s*[/-]\s*(\d{4})$"


def _text(col: str) -> pl.Expr:
    return pl.col(col).str.strip_chars()


def quarter_end(col: str) -> pl.Expr:
    """A report quarter in any operator's style -> the quarter's last day (null if unreadable)."""
    t = _text(col).str.normalize("NFC").str.to_uppercase()
    year = pl.coalesce(t.str.extract(_YEAR_FIRST, 1), t.str.extract(_QUARTER_FIRST, 2)).cast(
        pl.Int32, strict=False
    )
    q = (
        pl.coalesce(t.str.extract(_YEAR_FIRST, 2), t.str.extract(_QUARTER_FIRST, 1))
        .replace({k: str(v) for k, v in c.ROMAN.items()})
        .cast(pl.Int32, strict=False)
    )
    return pl.date(year, q * 3, 1).dt.month_end()


def _operator() -> pl.Expr:
    lower = {k.lower(): v for k, v in c.OPERATORS.items()}
    return _text("MaNhaMang").str.to_lowercase().replace_strict(lower, default=None)


def _decode_distinct(df: pl.DataFrame, col: str, expr: pl.Expr, out: str) -> pl.DataFrame:
    """Add ``out`` = ``expr`` over ``col``, computed once per distinct value (a report repeats them a lot)."""
    lookup = df.select(pl.col(col)).unique().with_columns(expr.alias(out))
    return df.join(lookup, on=col, how="left", nulls_equal=True, maintain_order="left")


def with_decoded(raw: pl.DataFrame) -> pl.DataFrame:
    """The raw rows with ``_as_of`` (quarter end), ``_ready`` (date) and ``_operator`` (code) decoded."""
    df = _decode_distinct(raw, "KyBaoCao", quarter_end("KyBaoCao"), "_as_of")
    df = _decode_distinct(df, "NgaySanSang", parse_date("NgaySanSang"), "_ready")
    return _decode_distinct(df, "MaNhaMang", _operator(), "_operator")


def coverage_rules(units: pl.Series, unit_validity: pl.DataFrame | None = None) -> list[RowRule]:
    """Rules over the raw rows decoded by ``with_decoded``; with the reference's validity
    periods, the commune must be valid at the quarter's end."""
    as_of, ready = pl.col("_as_of"), pl.col("_ready")
    sent_date = pl.col("NgaySanSang").is_not_null() & (_text("NgaySanSang") != "")
    return [
        missing("KyBaoCao"),
        missing("MaNhaMang"),
        missing("MaXa"),
        missing("MaDiaChi"),
        RowRule(
            "invalid_period",
            as_of.is_null(),
            pl.format(
                "KyBaoCao={} is not a quarter (e.g. Quý I/2025, 2025-Q1, Q1/2025)",
                pl.col("KyBaoCao"),
            ),
        ),
        RowRule(
            "date_out_of_range",
            as_of.dt.month_start().dt.offset_by("-2mo") > pl.col("_file_date"),
            pl.format(
                "KyBaoCao={} starts after the extract date {}",
                pl.col("KyBaoCao"),
                pl.col("_file_date"),
            ),
        ),
        RowRule(
            "code_outside_list",
            pl.col("_operator").is_null(),
            pl.format("MaNhaMang={} is not a known operator", pl.col("MaNhaMang")),
        ),
        RowRule(
            "code_outside_list",
            _text("CongNghe").is_not_null()
            & (_text("CongNghe") != "")
            & ~_text("CongNghe").str.to_uppercase().is_in(c.TECHNOLOGIES),
            pl.format(
                "CongNghe={} outside code list [{}]",
                pl.col("CongNghe"),
                pl.lit(", ".join(c.TECHNOLOGIES)),
            ),
        ),
        RowRule(
            "invalid_address_code",
            ~_text("MaDiaChi").str.to_uppercase().str.contains(c.ADDRESS_CODE_PATTERN),
            pl.lit("MaDiaChi is not an address code (8-20 letters or digits); value withheld"),
        ),
        RowRule(
            "invalid_date",
            sent_date & ready.is_null(),
            pl.format("NgaySanSang={} is not a date", pl.col("NgaySanSang")),
        ),
        RowRule(
            "date_out_of_range",
            (ready < pl.lit(EARLIEST)) | (ready > as_of),
            pl.format(
                "NgaySanSang={} is before 2000 or after the end of the report quarter {}",
                pl.col("NgaySanSang"),
                pl.col("KyBaoCao"),
            ),
        ),
        unknown_reference("MaXa", units, "unit"),
        *valid_at("MaXa", as_of, unit_validity, "unit"),
    ]


def _coverage_record_columns(df: pl.DataFrame) -> list[str]:
    hidden = {"MaDiaChi", "DiaChi"} | set(META)
    return [col for col in df.columns if col not in hidden]


def stage_coverage(
    raw: pl.DataFrame,
    pii_key: bytes,
    units: pl.Series,
    unit_validity: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Raw report rows -> ``stg.telecom_fibre_address`` rows and quarantine rows."""
    good, quarantine = apply_rules(
        with_decoded(raw), coverage_rules(units, unit_validity), _coverage_record_columns(raw)
    )
    good = good.with_columns(_text("MaDiaChi").str.to_uppercase().alias("MaDiaChi"))
    good = hash_column(good, "MaDiaChi", pii_key, "address_hash")
    staged = good.select(
        pl.col("_as_of").alias("as_of"),
        pl.col("_operator").cast(pl.String).alias("operator"),
        _text("MaXa").alias("unit_code"),
        pl.col("address_hash"),
        _text("CongNghe").str.to_uppercase().alias("technology"),
        pl.col("_ready").alias("ready_on"),
        *META,
    )
    return staged, quarantine


def household_rules(units: pl.Series, unit_validity: pl.DataFrame | None = None) -> list[RowRule]:
    """With the reference's validity periods, the commune must be valid on the delivery day."""
    year = _text("NamSoLieu").cast(pl.Int32, strict=False)
    count = whole_number("SoHoGiaDinh")
    return [
        missing("NamSoLieu"),
        missing("MaXa"),
        missing("SoHoGiaDinh"),
        RowRule(
            "invalid_year",
            year.is_null() | (year < 2000) | (year > pl.col("_file_date").dt.year() + 1),
            pl.format("NamSoLieu={} is not a year up to the extract's", pl.col("NamSoLieu")),
        ),
        RowRule(
            "invalid_count",
            count.is_null() | (count < 0) | (count > c.MAX_HOUSEHOLDS_PER_COMMUNE),
            pl.format(
                "SoHoGiaDinh={} is not a household count between 0 and {}",
                pl.col("SoHoGiaDinh"),
                pl.lit(c.MAX_HOUSEHOLDS_PER_COMMUNE),
            ),
        ),
        unknown_reference("MaXa", units, "unit"),
        *valid_at("MaXa", pl.col("_file_date"), unit_validity, "unit"),
        RowRule(
            "not_a_commune",
            _text("MaXa").str.len_chars() != 5,
            pl.format(
                "MaXa={} is a district or province: households are counted by commune",
                pl.col("MaXa"),
            ),
        ),
    ]


def stage_households(
    raw: pl.DataFrame, units: pl.Series, unit_validity: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Raw household counts -> ``stg.telecom_household`` rows and quarantine rows."""
    rules = household_rules(units, unit_validity)
    good, quarantine = apply_rules(raw, rules, c.HOUSEHOLD_COLUMNS)
    staged = good.select(
        _text("NamSoLieu").cast(pl.Int32).alias("year"),
        _text("MaXa").alias("unit_code"),
        whole_number("SoHoGiaDinh").alias("households"),
        _text("NguonSoLieu").alias("count_source"),
        *META,
    )
    return staged, quarantine


STEPS = {
    "household": StagingStep(
        "stg.telecom_household",
        lambda raw, ctx: stage_households(
            raw,
            ctx.codes("ref.admin_unit", "unit_code"),
            ctx.validity("ref.admin_unit", "unit_code"),
        ),
    ),
    "coverage": StagingStep(
        "stg.telecom_fibre_address",
        lambda raw, ctx: stage_coverage(
            raw,
            ctx.pii_key,
            ctx.codes("ref.admin_unit", "unit_code"),
            ctx.validity("ref.admin_unit", "unit_code"),
        ),
    ),
}
