"""Staging of the certificate issuers' reports (``certificates``): typed, checked, holders hashed.

Column names become English here. The holder's ID is replaced by its keyed
hash (``transforms.pii.hash_column`` with the run's PII key) and the year of
birth the citizen ID encodes (the only thing T11 needs from it: whether the
holder is an adult); the subscriber's name is dropped. Quarantine records
keep neither the ID nor the name.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from sources.certificates import constants as c
from transforms.pii import hash_column, normalise_id
from transforms.staging.dates import EARLIEST, parse_date, unparseable
from transforms.staging.rules import (
    RowRule,
    apply_rules,
    missing,
    outside_code_list,
    unknown_reference,
    valid_at,
)
from transforms.staging.step import StageContext, StagingStep
from transforms.staging.stg_population import commune_codes

META = ["_file_id", "_row", "_file_date"]
REQUIRED = ["MaToChucCungCap", "SoHieuChungThu", "LoaiThueBao", "SoGiayTo", "NgayCap", "NgayHetHan"]


def _int(col: str) -> pl.Expr:
    return pl.col(col).str.strip_chars().cast(pl.Int64, strict=False)


def birth_year(col: str) -> pl.Expr:
    """Year of birth a 12-digit citizen ID encodes (4th digit: sex and century; 5th-6th: year)."""
    digits = normalise_id(col)
    century = (
        digits.str.slice(3, 1)
        .cast(pl.Int64, strict=False)
        .replace_strict(c.CENTURY_OF_DIGIT, default=None, return_dtype=pl.Int64)
    )
    return (century + digits.str.slice(4, 2).cast(pl.Int64, strict=False)).cast(pl.Int16)


def is_individual() -> pl.Expr:
    return _int("LoaiThueBao").is_in(list(c.INDIVIDUAL_TYPES))


def holder_id_rule() -> RowRule:
    """A person must carry a 12-digit citizen ID born in a plausible year; an organisation a tax code."""
    ids = normalise_id("SoGiayTo")
    year = birth_year("SoGiayTo")
    bad_person = is_individual() & (
        ~ids.str.contains(c.CITIZEN_ID) | (year < 1900) | (year > pl.col("_file_date").dt.year())
    )
    bad_org = (_int("LoaiThueBao") == 2) & ~ids.str.contains(c.TAX_CODE)
    return RowRule(
        "invalid_holder_id",
        pl.col("SoGiayTo").is_not_null() & (bad_person | bad_org),
        pl.lit(
            "SoGiayTo is not a 12-digit citizen ID (person) or a tax code (organisation); value withheld"
        ),
    )


def _out_of_range(field: str) -> RowRule:
    day = parse_date(field)
    return RowRule(
        "date_out_of_range",
        (day < pl.lit(EARLIEST)) | (day > pl.col("_file_date") + timedelta(days=1)),
        pl.format(
            "{}={} is before 2000 or after the report date {}",
            pl.lit(field),
            pl.col(field),
            pl.col("_file_date"),
        ),
    )


def certificate_rules(
    communes: pl.Series, unit_validity: pl.DataFrame | None = None
) -> list[RowRule]:
    """With the reference's validity periods, the residence's commune must be valid on the
    report's day (the issuer names it as its register holds it then)."""
    issued, expiry, revoked = (
        parse_date("NgayCap"),
        parse_date("NgayHetHan"),
        parse_date("NgayThuHoi"),
    )
    return [
        *[missing(f) for f in REQUIRED],
        RowRule(
            "code_outside_list",
            ~pl.col("MaToChucCungCap").is_in(list(c.ISSUERS)).fill_null(False),
            pl.format(
                "MaToChucCungCap={} is not a licensed issuer [{}]",
                pl.col("MaToChucCungCap"),
                pl.lit(", ".join(c.ISSUERS)),
            ),
        ),
        outside_code_list("LoaiThueBao", list(c.SUBSCRIBER_TYPE)),
        outside_code_list("HinhThucChungThu", list(c.CERTIFICATE_FORM)),
        *[
            RowRule(
                "invalid_date",
                unparseable(f),
                pl.format("{}={} is not a date", pl.lit(f), pl.col(f)),
            )
            for f in c.DATE_FIELDS
        ],
        _out_of_range("NgayCap"),
        _out_of_range("NgayThuHoi"),
        RowRule(
            "expiry_before_issue",
            expiry < issued,
            pl.format(
                "NgayHetHan={} is before NgayCap={}", pl.col("NgayHetHan"), pl.col("NgayCap")
            ),
        ),
        RowRule(
            "revoked_before_issue",
            revoked < issued,
            pl.format(
                "NgayThuHoi={} is before NgayCap={}", pl.col("NgayThuHoi"), pl.col("NgayCap")
            ),
        ),
        holder_id_rule(),
        unknown_reference("MaXaThuongTru", communes, "unit"),
        *valid_at("MaXaThuongTru", pl.col("_file_date"), unit_validity, "unit"),
    ]


def record_columns() -> list[str]:
    """What a quarantine row keeps of the record: everything but the ID and the name."""
    return [col for col in c.COLUMNS if col not in c.PERSONAL_FIELDS]


def stage_certificates(
    raw: pl.DataFrame,
    pii_key: bytes,
    communes: pl.Series,
    unit_validity: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Raw report rows -> ``stg.certificates_certificate`` rows and quarantine rows."""
    raw = raw.with_columns(
        pl.col("MaToChucCungCap").str.to_uppercase(),
        pl.col("SoHieuChungThu").str.to_uppercase(),
        pl.when(pl.col("MaXaThuongTru").str.strip_chars() != "")
        .then(pl.col("MaXaThuongTru").str.strip_chars())
        .alias("MaXaThuongTru"),
    )
    rules = certificate_rules(communes, unit_validity)
    good, quarantine = apply_rules(raw, rules, record_columns())
    good = hash_column(good, "SoGiayTo", pii_key, "holder_hash")
    individual = is_individual()
    staged = good.select(
        pl.col("MaToChucCungCap").alias("issuer_code"),
        pl.col("SoHieuChungThu").alias("serial"),
        _int("LoaiThueBao").cast(pl.Int8).alias("subscriber_type"),
        individual.alias("is_individual"),
        pl.col("holder_hash"),
        pl.when(individual).then(birth_year("SoGiayTo")).alias("holder_birth_year"),
        pl.col("MaXaThuongTru").alias("unit_code"),
        _int("HinhThucChungThu").cast(pl.Int8).alias("certificate_form"),
        parse_date("NgayCap").alias("issued_date"),
        parse_date("NgayHetHan").alias("expiry_date"),
        parse_date("NgayThuHoi").alias("revoked_date"),
        *META,
    )
    return staged, quarantine


def _step(raw: pl.DataFrame, ctx: StageContext) -> tuple[pl.DataFrame, pl.DataFrame]:
    return stage_certificates(
        raw, ctx.pii_key, commune_codes(ctx), ctx.validity("ref.admin_unit", "unit_code")
    )


# the register and every issuer's monthly reports share one template and one table
STEPS = {dataset: StagingStep("stg.certificates_certificate", _step) for dataset in c.DATASETS}
