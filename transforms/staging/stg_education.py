"""Staging of the education sector database exports (``education``): institutions and learners.

Labels become English codes here (level, ownership); the school year
(``2024-2025``) is kept and mapped to the calendar year it ends in. A row is
quarantined when a field is missing, a label is not in the code list, the
school year or a date cannot be read, a count is not a whole number,
negative, absurd or more than the enrolled, or the commune or the
institution is unknown. The exports hold no personal data.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from sources.education import constants as c
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
from transforms.staging.stg_population import commune_codes, count_rules

META = ["_file_id", "_row", "_file_date"]
COUNTS = ["TongSoNguoiHoc", "SoHocSinhCoHocBaSo", "SoSinhVienCoBangDiemSo"]


def _int(col: str) -> pl.Expr:
    return whole_number(col)


def outside_labels(col: str, labels: list[str]) -> RowRule:
    """The text is present but not one of the labels of the code list."""
    return RowRule(
        "code_outside_list",
        pl.col(col).is_not_null() & ~pl.col(col).str.strip_chars().is_in(labels).fill_null(False),
        pl.format(
            "{}={} outside code list [{}]", pl.lit(col), pl.col(col), pl.lit(", ".join(labels))
        ),
    )


def end_year() -> pl.Expr:
    """2024-2025 -> 2025 (null unless the two years follow each other)."""
    text = pl.col("NamHoc").str.strip_chars()
    first = text.str.slice(0, 4).cast(pl.Int32, strict=False)
    second = text.str.slice(5, 4).cast(pl.Int32, strict=False)
    return pl.when(text.str.contains(c.SCHOOL_YEAR) & (second == first + 1)).then(second)


def school_year_rules() -> list[RowRule]:
    return [
        RowRule(
            "invalid_school_year",
            pl.col("NamHoc").is_not_null() & end_year().is_null(),
            pl.format("NamHoc={} is not a school year such as 2024-2025", pl.col("NamHoc")),
        ),
        outside_labels("KyBaoCao", list(c.REPORT_TERM)),
    ]


def school_year_columns() -> list[pl.Expr]:
    month, day = c.SCHOOL_YEAR_END
    return [
        pl.col("NamHoc").str.strip_chars().alias("school_year"),
        end_year().alias("school_year_end_year"),
        pl.date(end_year(), month, day).alias("school_year_end"),
        pl.col("KyBaoCao").str.strip_chars().alias("report_term"),
        pl.col("KyBaoCao")
        .str.strip_chars()
        .replace_strict(c.REPORT_TERM, default=None, return_dtype=pl.Int8)
        .alias("report_rank"),
    ]


def institution_rules(
    communes: pl.Series, unit_validity: pl.DataFrame | None = None
) -> list[RowRule]:
    """With the reference's validity periods, the commune must be valid on the report's day."""
    since = "NgayApDungThanhToanKhongDungTienMat"
    return [
        *[
            missing(f)
            for f in ("MaTruong", "TenTruong", "CapHoc", "LoaiHinh", "MaXa", "NamHoc", "KyBaoCao")
        ],
        outside_labels("CapHoc", list(c.LEVEL)),
        outside_labels("LoaiHinh", list(c.OWNERSHIP)),
        *school_year_rules(),
        RowRule(
            "invalid_date",
            unparseable(since),
            pl.format("{}={} is not a date", pl.lit(since), pl.col(since)),
        ),
        RowRule(
            "date_out_of_range",
            (parse_date(since) < pl.lit(EARLIEST))
            | (parse_date(since) > pl.col("_file_date") + timedelta(days=1)),
            pl.format(
                "{}={} is before 2000 or after the report date {}",
                pl.lit(since),
                pl.col(since),
                pl.col("_file_date"),
            ),
        ),
        unknown_reference("MaXa", communes, "unit"),
        *valid_at("MaXa", pl.col("_file_date"), unit_validity, "unit"),
    ]


def stage_institutions(
    raw: pl.DataFrame, communes: pl.Series, unit_validity: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Raw institution rows -> ``stg.education_institution`` rows and quarantine rows."""
    raw = raw.with_columns(pl.col("MaTruong").str.strip_chars(), pl.col("MaXa").str.strip_chars())
    rules = institution_rules(communes, unit_validity)
    good, quarantine = apply_rules(raw, rules, c.INSTITUTION_COLUMNS)
    ownership = pl.col("LoaiHinh").str.strip_chars().replace_strict(c.OWNERSHIP, default=None)
    staged = good.select(
        pl.col("MaTruong").alias("institution_code"),
        pl.col("TenTruong").alias("institution_name"),
        pl.col("CapHoc").str.strip_chars().replace_strict(c.LEVEL, default=None).alias("level"),
        ownership.alias("ownership"),
        (ownership == "public").alias("is_public"),
        pl.col("MaXa").alias("unit_code"),
        parse_date("NgayApDungThanhToanKhongDungTienMat").alias("cashless_since"),
        *school_year_columns(),
        *META,
    )
    return staged, quarantine


def enrolment_rules(institutions: pl.Series) -> list[RowRule]:
    total = _int("TongSoNguoiHoc")
    digital = pl.max_horizontal(
        _int("SoHocSinhCoHocBaSo").fill_null(0), _int("SoSinhVienCoBangDiemSo").fill_null(0)
    )
    return [
        *[missing(f) for f in ("MaTruong", "NamHoc", "KyBaoCao", "TongSoNguoiHoc")],
        *school_year_rules(),
        *count_rules(COUNTS, c.MAX_LEARNERS),
        RowRule(
            "count_inconsistent",
            digital > total,
            pl.format(
                "digital records or transcripts ({}) exceed TongSoNguoiHoc={}",
                digital.cast(pl.String),
                pl.col("TongSoNguoiHoc"),
            ),
        ),
        unknown_reference("MaTruong", institutions, "institution"),
    ]


def stage_enrolment(
    raw: pl.DataFrame, institutions: pl.Series
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Raw learner rows -> ``stg.education_enrolment`` rows and quarantine rows."""
    raw = raw.with_columns(pl.col("MaTruong").str.strip_chars())
    good, quarantine = apply_rules(raw, enrolment_rules(institutions), c.ENROLMENT_COLUMNS)
    staged = good.select(
        pl.col("MaTruong").alias("institution_code"),
        *school_year_columns(),
        _int("TongSoNguoiHoc").alias("enrolled"),
        _int("SoHocSinhCoHocBaSo").alias("pupils_with_digital_record"),
        _int("SoSinhVienCoBangDiemSo").alias("students_with_digital_transcript"),
        *META,
    )
    return staged, quarantine


def _institutions(ctx: StageContext) -> pl.Series:
    return ctx.codes("stg.education_institution", "institution_code")


STEPS = {
    "institution": StagingStep(
        "stg.education_institution",
        lambda raw, ctx: stage_institutions(
            raw, commune_codes(ctx), ctx.validity("ref.admin_unit", "unit_code")
        ),
    ),
    "enrolment": StagingStep(
        "stg.education_enrolment", lambda raw, ctx: stage_enrolment(raw, _institutions(ctx))
    ),
}
