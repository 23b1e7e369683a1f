"""Staging of the ministry's ranking tables (``rankings``): DTI and Vietnam ICT Index.

Every province's row is kept (the engine only counts Hậu Giang's, the others
give context); the fields are renamed once to English, scores (decimal comma
or point) and ranks typed, province codes checked against the GSO list of 63.
A summary row ("Trung bình cả nước") or a row that breaks a rule goes to
quarantine with the rule and the reason. There is no personal data here.
"""

from __future__ import annotations

import polars as pl

from sources.rankings import constants as c
from transforms.staging.rules import RowRule, apply_rules, missing
from transforms.staging.step import StagingStep

META = ["_file_id", "_row", "_file_date"]
RANK_FIELDS = {"rank", "government_rank", "economy_rank", "society_rank"}


def decimal(col: str) -> pl.Expr:
    """'0,4786' or '0.4786' -> 0.4786; null where it is not a number."""
    text = pl.col(col).str.strip_chars().str.replace_all(r"\s", "")
    text = (
        pl.when(text.str.contains(","))
        .then(text.str.replace_all(r"\.", "").str.replace(",", "."))
        .otherwise(text)
    )
    return text.cast(pl.Float64, strict=False)


def integer(col: str) -> pl.Expr:
    return pl.col(col).str.strip_chars().cast(pl.Int64, strict=False)


def province_code(col: str = "Mã tỉnh") -> pl.Expr:
    """GSO code, two digits ('1' as Excel leaves it -> '01')."""
    return pl.col(col).str.strip_chars().str.zfill(2)


def ranking_rules(index: str) -> list[RowRule]:
    raw = {english: viet for viet, english in c.FIELDS[index].items()}
    name, year, score, rank = raw["province_name"], raw["index_year"], raw["score"], raw["rank"]
    parsed_year = integer(year)
    return [
        RowRule(
            "not_a_province",
            (pl.col("Mã tỉnh").is_null() | (pl.col("Mã tỉnh").str.strip_chars() == ""))
            & pl.col(name).str.strip_chars().str.to_lowercase().str.contains(c.SUMMARY_ROW.pattern),
            pl.format("summary row '{}' is not a province", pl.col(name)),
        ),
        missing("Mã tỉnh"),
        missing(year),
        missing(score),
        missing(rank),
        RowRule(
            "unknown_province",
            ~province_code().is_in(list(c.PROVINCES)),
            pl.format("Mã tỉnh={} is not one of the 63 GSO province codes", pl.col("Mã tỉnh")),
        ),
        RowRule(
            "invalid_number",
            decimal(score).is_null(),
            pl.format(score + "={} is not a number", pl.col(score)),
        ),
        RowRule(
            "invalid_number",
            integer(rank).is_null(),
            pl.format(rank + "={} is not a whole number", pl.col(rank)),
        ),
        RowRule(
            "invalid_year",
            parsed_year.is_null(),
            pl.format(year + "={} is not a year", pl.col(year)),
        ),
        RowRule(
            "rank_out_of_range",
            (integer(rank) < 1) | (integer(rank) > c.N_PROVINCES),
            pl.format(rank + "={} is outside 1-" + str(c.N_PROVINCES), pl.col(rank)),
        ),
        RowRule(
            "score_out_of_range",
            (decimal(score) < 0) | (decimal(score) > 1),
            pl.format(score + "={} is outside 0-1", pl.col(score)),
        ),
        RowRule(
            "date_out_of_range",
            (parsed_year < 2000) | (parsed_year > pl.col("_file_date").dt.year()),
            pl.format(
                "{}={} is before 2000 or after the publication year of {}",
                pl.lit(year),
                pl.col(year),
                pl.col("_file_date"),
            ),
        ),
    ]


def stage_ranking(raw: pl.DataFrame, index: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One index's published table(s) -> ``stg.rankings_<index>`` rows and quarantine rows."""
    columns = c.DTI_COLUMNS if index == "DTI" else c.ICT_COLUMNS
    good, quarantine = apply_rules(raw, ranking_rules(index), columns)
    fields = c.FIELDS[index]
    typed = []
    for viet, english in fields.items():
        if english == "province_code":
            typed.append(province_code(viet).alias(english))
        elif english == "province_name":
            typed.append(pl.col(viet).str.strip_chars().alias(english))
        elif english == "index_year":
            typed.append(integer(viet).cast(pl.Int32).alias(english))
        elif english in RANK_FIELDS:
            typed.append(integer(viet).cast(pl.Int16).alias(english))
        else:
            typed.append(decimal(viet).alias(english))
    # the publication date is a business column: a corrected table repeating an earlier row is
    # loaded (and wins as the latest) instead of being taken for a duplicate
    staged = good.select(
        pl.lit(index).alias("index_code"), *typed, pl.col("_file_date").alias("published_on"), *META
    )
    return staged, quarantine


STEPS = {
    "dti": StagingStep("stg.rankings_dti", lambda raw, ctx: stage_ranking(raw, "DTI")),
    "ict": StagingStep("stg.rankings_ict", lambda raw, ctx: stage_ranking(raw, "ICT")),
}
