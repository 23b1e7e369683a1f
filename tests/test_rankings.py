"""The ministry's rankings source (DTI, Vietnam ICT Index): simulator, reader, staging, R01–R02."""

from __future__ import annotations

import hashlib
from datetime import date

import polars as pl
import pytest
from conftest import CATALOGUE_FILES, SOURCES, build_model, make_periods, simulate_source, staging

from sources.base import SourceFileError
from sources.rankings import connector, period_of
from sources.rankings import constants as c
from sources.rankings.simulator import competition_ranks, simulate
from transforms.marts.indicators import compute_indicators, load_catalogue
from transforms.staging.stg_rankings import stage_ranking


def digests(root) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.csv"))
    }


def home_row(frame: pl.DataFrame) -> dict:
    return frame.filter(pl.col("Mã tỉnh") == "93").row(0, named=True)


# --- simulator -----------------------------------------------------------------------


def test_simulator_is_deterministic_and_keeps_the_published_ranks(tmp_path):
    a, b, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert simulate(a, date(2023, 1, 1), date(2023, 12, 31), scale=0.02, seed=7) == {
        "dti": 3,
        "ict": 3,
    }
    simulate(b, date(2023, 1, 1), date(2023, 12, 31), scale=0.02, seed=7)
    simulate(other, date(2023, 1, 1), date(2023, 12, 31), scale=0.02, seed=8)
    assert digests(a) == digests(b) and digests(a) != digests(other)
    dti_2022 = connector.read_dti(next(a.rglob("DTI_cap_tinh_2022_*.csv")))
    assert dti_2022.height == 64  # 63 provinces and the national average
    assert home_row(dti_2022)["Xếp hạng DTI"] == "17"
    ict_2020 = a / "rankings/ict/ICT_Index_cap_tinh_2020_20210426.csv"
    assert home_row(connector.read_ict(ict_2020))["Xếp hạng"] == "32"
    assert period_of("DTI_cap_tinh_2022_20230821.csv") == (date(2022, 1, 1), date(2022, 12, 31))


def test_ranks_follow_scores_and_ties_share_a_rank():
    assert competition_ranks({"01": 0.5, "02": 0.7, "04": 0.5, "06": 0.1}) == {
        "02": 1,
        "01": 2,
        "04": 2,
        "06": 4,
    }


# --- readers -------------------------------------------------------------------------------


def test_readers_take_the_separator_from_the_header_and_name_a_missing_column(tmp_path):
    header = ";".join(c.DTI_COLUMNS)
    line = "17;93;Hậu Giang;2022;0,4786;17;0,43;33;0,48;16;0,46;24"
    (tmp_path / "semi.csv").write_bytes(
        ("\ufeff" + header + "\r\n" + line + "\r\n").encode("utf-8")
    )
    quoted = ",".join(f'"{col}"' if "," in col else col for col in c.DTI_COLUMNS)
    (tmp_path / "comma.csv").write_text(
        quoted + "\n" + line.replace(",", ".").replace(";", ",") + "\n", encoding="utf-8"
    )
    for name in ("semi.csv", "comma.csv"):
        row = connector.read_dti(tmp_path / name).row(0, named=True)
        assert (row["Tỉnh, thành phố"], row["Xếp hạng DTI"]) == ("Hậu Giang", "17"), name
    (tmp_path / "short.csv").write_text(
        "STT,Mã tỉnh,Tỉnh/Thành phố,Năm,ICT Index\n1,93,Hậu Giang,2020,0.5\n", encoding="utf-8"
    )
    with pytest.raises(SourceFileError, match="Xếp hạng"):
        connector.read_ict(tmp_path / "short.csv")
    (tmp_path / "empty.csv").write_bytes(b"")
    assert set(connector.read_ict(tmp_path / "empty.csv").columns) == {"_row", *c.ICT_COLUMNS}


# --- staging ----------------------------------------------------------------------------------


def dti_row(**over) -> dict:
    row = dict(
        zip(
            c.DTI_COLUMNS,
            [
                "17",
                "93",
                "Hậu Giang",
                "2022",
                "0,4786",
                "17",
                "0,4341",
                "33",
                "0,4870",
                "16",
                "0,4628",
                "24",
            ],
            strict=True,
        )
    )
    row.update(over)
    return row


def stage(rows, index="DTI", file_date=date(2023, 8, 21)):
    columns = c.DTI_COLUMNS if index == "DTI" else c.ICT_COLUMNS
    raw = (
        pl.DataFrame(rows, schema={col: pl.String for col in columns})
        .with_row_index("_row", offset=1)
        .with_columns(
            pl.col("_row").cast(pl.Int64),
            pl.lit("f1").alias("_file_id"),
            pl.lit(file_date).alias("_file_date"),
        )
    )
    return stage_ranking(raw, index)


def test_good_rows_are_typed_and_renamed():
    staged, quarantine = stage(
        [dti_row(), dti_row(**{"Mã tỉnh": "1", "Tỉnh, thành phố": "Hà Nội", "Xếp hạng DTI": "3"})]
    )
    assert quarantine.height == 0
    row = staged.row(0, named=True)
    assert (
        row["index_code"],
        row["province_code"],
        row["index_year"],
        row["score"],
        row["rank"],
    ) == ("DTI", "93", 2022, 0.4786, 17)
    assert row["economy_rank"] == 16 and row["government_score"] == 0.4341
    assert staged["province_code"][1] == "01"  # Excel dropped the leading zero
    ict = dict(
        zip(
            c.ICT_COLUMNS,
            ["32", "93", "Hậu Giang", "2020", "0.4332", "0.6203", "0.1997", "0.5012", "32"],
            strict=True,
        )
    )
    staged, quarantine = stage([ict], index="ICT", file_date=date(2021, 4, 26))
    assert quarantine.height == 0
    assert staged.select("index_code", "score", "rank", "infrastructure_score").row(0) == (
        "ICT",
        0.5012,
        32,
        0.4332,
    )


@pytest.mark.parametrize(
    ("override", "rule", "reason_part"),
    [
        (
            {"Mã tỉnh": "", "Tỉnh, thành phố": "Trung bình cả nước", "Xếp hạng DTI": ""},
            "not_a_province",
            "Trung bình",
        ),
        ({"Mã tỉnh": None}, "missing_field", "Mã tỉnh"),
        ({"Xếp hạng DTI": ""}, "missing_field", "Xếp hạng DTI"),
        ({"Mã tỉnh": "99"}, "unknown_province", "99"),
        ({"Chỉ số DTI": "n/a"}, "invalid_number", "n/a"),
        ({"Xếp hạng DTI": "17.5"}, "invalid_number", "whole number"),
        ({"Năm": "năm 2022"}, "invalid_year", "năm 2022"),
        ({"Xếp hạng DTI": "64"}, "rank_out_of_range", "1-63"),
        ({"Chỉ số DTI": "1,2"}, "score_out_of_range", "0-1"),
        ({"Năm": "2024"}, "date_out_of_range", "publication year"),
    ],
)
def test_bad_rows_go_to_quarantine_with_rule_and_reason(override, rule, reason_part):
    staged, quarantine = stage([dti_row(), dti_row(**override)])
    assert (staged.height, quarantine.height) == (1, 1)
    q = quarantine.row(0, named=True)
    assert (q["rule"], q["_row"]) == (rule, 2)
    assert reason_part in q["reason"]


def test_empty_table_stages_to_an_empty_frame(tmp_path):
    (tmp_path / "e.csv").write_bytes(b"")
    raw = connector.read_dti(tmp_path / "e.csv").with_columns(
        pl.lit(None, dtype=pl.String).alias("_file_id"),
        pl.lit(None, dtype=pl.Date).alias("_file_date"),
    )
    staged, quarantine = stage_ranking(raw, "DTI")
    assert (
        staged.height == 0
        and quarantine.height == 0
        and {"province_code", "rank", "score"} <= set(staged.columns)
    )


# --- R01 / R02: keep or improve the rank ---------------------------------------------------------

STG_COLUMNS = (
    "index_code varchar, index_year integer, province_code varchar, province_name varchar, score double, "
    "rank smallint, _file_date date, _file_id varchar, _row bigint"
)


def rankings(con, dti: list[tuple], ict: list[tuple]) -> None:
    """(year, province code, rank[, published]) rows -> stg tables -> core.fct_ranking."""
    for table, index, rows in (("stg.rankings_dti", "DTI", dti), ("stg.rankings_ict", "ICT", ict)):
        con.execute(f"create or replace table {table} ({STG_COLUMNS})")
        for i, (year, code, rank, *published) in enumerate(rows, start=1):
            delivered = published[0] if published else f"{year + 1}-07-20"
            con.execute(
                f"insert into {table} values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    index,
                    year,
                    code,
                    c.PROVINCES[code],
                    1 - rank / 100,
                    rank,
                    delivered,
                    f"f{delivered}",
                    i,
                ],
            )
    build_model(con, "core.fct_ranking")


def rank_value(con, ind, year):
    return con.execute(
        """select value, target, met, status, status_reason from mart.indicator_value
           where indicator_id = ? and admin_level = 'province' and period_type = 'year' and period_start = ?""",
        [ind, date(year, 1, 1)],
    ).fetchone()


def test_r01_lower_rank_is_better_keep_or_improve_the_previous_year(geo_db):
    con = geo_db
    make_periods(con, ["2022-06", "2023-06", "2024-06", "2025-06"])
    rankings(
        con,
        dti=[
            (2021, "93", 20),
            (2022, "93", 17),
            (2023, "93", 15),
            (2024, "93", 19),
            (2022, "92", 3),
            (2023, "92", 1),
            (2024, "92", 2),  # another province: kept, never counted
        ],
        ict=[],
    )
    compute_indicators(
        con, [i for i in load_catalogue(CATALOGUE_FILES) if i.id in ("R01", "R02")], "run-1"
    )
    assert rank_value(con, "R01", 2022)[:4] == (17, 20, True, "ok")
    assert rank_value(con, "R01", 2023)[:4] == (15, 17, True, "ok")  # 15 after 17: improved, met
    assert rank_value(con, "R01", 2024)[:4] == (
        19,
        15,
        False,
        "ok",
    )  # 19 after 15: slipped, not met
    assert rank_value(con, "R01", 2025)[3] == "no_data"  # not published yet
    assert rank_value(con, "R02", 2024)[3] == "no_data"
    facts = con.execute(
        "select index_year, unit_code, previous_rank, rank_change from core.fct_ranking "
        "where province_code = '93' order by index_year"
    ).fetchall()
    assert facts == [
        (2021, "93", None, None),
        (2022, "93", 20, 3),
        (2023, "93", 17, 2),
        (2024, "93", 15, -4),
    ]
    others = con.execute(
        "select count(*), count(unit_code) from core.fct_ranking where province_code <> '93'"
    ).fetchone()
    assert others == (3, 0)  # every province kept, only Hậu Giang maps to a unit
    assert (
        con.execute("select count(*) from mart.indicator_value where admin_code = '92'").fetchone()[
            0
        ]
        == 0
    )


def test_r02_keeping_the_rank_is_met_and_a_gap_year_has_no_target(geo_db):
    con = geo_db
    make_periods(con, ["2022-06", "2023-06", "2024-06", "2025-06"])
    rankings(
        con,
        dti=[],
        ict=[
            (2021, "93", 17),
            (2022, "93", 17),  # kept: met at equality
            (2023, "93", 18),
            (2023, "93", 16, "2024-12-01"),  # a corrected table for 2023 replaces the first one
            (2025, "93", 19),  # 2024 not published: nothing to compare with
        ],
    )
    compute_indicators(
        con, [i for i in load_catalogue(CATALOGUE_FILES) if i.id in ("R01", "R02")], "run-1"
    )
    assert rank_value(con, "R02", 2022)[:4] == (17, 17, True, "ok")
    assert rank_value(con, "R02", 2023)[:4] == (16, 17, True, "ok")
    value, target, met, status, reason = rank_value(con, "R02", 2025)
    assert (value, target, met, status) == (19, None, None, "ok")
    assert "no earlier value" in reason
    assert rank_value(con, "R01", 2023)[3] == "no_data"


def test_r01_r02_entries_say_lower_is_better():
    entries = {i.id: i for i in load_catalogue(CATALOGUE_FILES) if i.source == "rankings"}
    assert set(entries) == {"R01", "R02"}
    for ind in entries.values():
        assert (ind.comparator, ind.factor, ind.unit, ind.lower_is_better) == (
            "<=",
            1,
            "rank",
            True,
        )
        assert (
            ind.target_expr == "max(previous_rank)"
            and ind.levels == ("province",)
            and ind.periods == ("year",)
        )


# --- end to end, without Prefect or GX ------------------------------------------------------------


def test_end_to_end_small_range(tmp_path):
    from sources.extract import extract
    from transforms.staging.run import load_reference, stage_source
    from warehouse import build as wh
    from warehouse.audit import clear_id_problems, row_balance_problems

    landing = tmp_path / "landing"
    simulate_source("rankings", landing, date(2025, 1, 1), date(2025, 2, 28), scale=0.02, seed=3)
    b = wh.prepare_build(tmp_path / "pub.duckdb", tmp_path / "build.duckdb")
    con = wh.connect(b)
    load_reference(con)
    extract(con, SOURCES["rankings"], str(landing), tmp_path / "raw", "r1")
    summary = stage_source(con, *staging("rankings"), b"k", "r1")
    assert summary.files_failed == 0 and summary.rows_loaded == summary.files * 63
    assert summary.rows_quarantined == summary.files // 2  # the DTI tables' national-average rows
    for table in ("core.dim_unit", "core.dim_period", "core.fct_ranking"):
        build_model(con, table)
    compute_indicators(
        con, [i for i in load_catalogue(CATALOGUE_FILES) if i.source == "rankings"], "r1"
    )
    balance = con.execute(
        "select count(*), bool_and(rows_read = rows_loaded + rows_quarantined + rows_duplicate) from meta.manifest "
        "where source = 'rankings'"
    ).fetchone()
    assert balance == (summary.files, True) and not row_balance_problems(con)
    assert not clear_id_problems(con)
    rules = con.execute("select distinct rule from audit.quarantine").fetchall()
    assert rules == [("not_a_province",)]
    ok = con.execute(
        "select indicator_id, count(*) from mart.indicator_value where status = 'ok' and met is not null group by 1 "
        "order by 1"
    ).fetchall()
    assert [i for i, _ in ok] == ["R01", "R02"]
    dti_2022 = con.execute(
        "select value from mart.indicator_value where indicator_id = 'R01' and period_label = '2022'"
    ).fetchone()
    assert dti_2022 == (17,)
    con.close()
