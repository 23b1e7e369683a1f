"""Education sector database: simulator, staging rules, T13 and T14 given/expected, end to end."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from conftest import (
    CATALOGUE_FILES,
    assert_core_builds_before_the_first_delivery,
    build_model,
    make_periods,
)
from test_population import (
    assert_rows_balance,
    run_e2e,
)

from sources.education import constants as c
from sources.education import school_year_of
from sources.education.simulator import institutions, simulate
from transforms.marts.indicators import compute_indicators, load_catalogue
from transforms.staging.stg_education import stage_enrolment, stage_institutions

COMMUNE_A, COMMUNE_B = "31318", "31321"  # both in district 930
COMMUNES = pl.Series([COMMUNE_A, COMMUNE_B])


def frame(
    rows: list[dict], columns: list[str], file_date: date, file_id: str = "f1"
) -> pl.DataFrame:
    raw = pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String)).with_row_index(
        "_row", offset=1
    )
    return raw.with_columns(
        pl.col("_row").cast(pl.Int64),
        pl.lit(file_id).alias("_file_id"),
        pl.lit(file_date).alias("_file_date"),
    )


def school(
    code: str,
    level: str = "Tiểu học",
    ownership: str = "Công lập",
    commune: str = COMMUNE_A,
    since: str | None = None,
    year: str = "2024-2025",
    term: str = "CN",
) -> dict:
    return {
        "MaTruong": code,
        "TenTruong": f"Trường {code}",
        "CapHoc": level,
        "LoaiHinh": ownership,
        "MaXa": commune,
        "NgayApDungThanhToanKhongDungTienMat": since,
        "NamHoc": year,
        "KyBaoCao": term,
    }


def learners(
    code: str,
    total: str,
    pupils: str | None = None,
    students: str | None = None,
    year: str = "2024-2025",
    term: str = "CN",
) -> dict:
    return {
        "MaTruong": code,
        "NamHoc": year,
        "KyBaoCao": term,
        "TongSoNguoiHoc": total,
        "SoHocSinhCoHocBaSo": pupils,
        "SoSinhVienCoBangDiemSo": students,
    }


def test_simulator_is_deterministic_and_writes_the_reports_due_in_the_range(tmp_path):
    simulate(tmp_path / "a", date(2025, 1, 1), date(2025, 12, 31), scale=0.02, seed=5)
    simulate(tmp_path / "b", date(2025, 1, 1), date(2025, 12, 31), scale=0.02, seed=5)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.csv"))
    assert [f.name for f in files] == [
        "hocsinh_2024-2025_CN_20250615.csv",
        "hocsinh_2024-2025_HK1_20250120.csv",
        "hocsinh_2025-2026_DN_20251015.csv",
        "truong_2024-2025_CN_20250615.csv",
        "truong_2024-2025_HK1_20250120.csv",
        "truong_2025-2026_DN_20251015.csv",
    ]
    assert all(
        (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files
    )
    insts = institutions()
    assert 250 < len(insts) < 450 and len({i.code for i in insts}) == len(insts)
    assert school_year_of("hocsinh_2024-2025_CN_20250615.csv") == (
        date(2024, 9, 1),
        date(2025, 8, 31),
    )


def test_good_rows_are_typed_and_the_school_year_mapped_to_the_year_it_ends():
    staged, quarantine = stage_institutions(
        frame([school("S1", since="01/09/2024")], c.INSTITUTION_COLUMNS, date(2025, 6, 15)),
        COMMUNES,
    )
    assert quarantine.height == 0
    row = staged.row(0, named=True)
    assert (row["level"], row["ownership"], row["is_public"]) == ("primary", "public", True)
    assert (row["school_year_end_year"], row["school_year_end"], row["report_rank"]) == (
        2025,
        date(2025, 5, 31),
        3,
    )
    assert row["cashless_since"] == date(2024, 9, 1)


@pytest.mark.parametrize(
    ("override", "rule", "reason_part"),
    [
        ({"MaTruong": ""}, "missing_field", "MaTruong"),
        ({"CapHoc": "Trung cấp"}, "code_outside_list", "CapHoc=Trung cấp"),
        ({"LoaiHinh": "Quốc tế"}, "code_outside_list", "LoaiHinh=Quốc tế"),
        ({"KyBaoCao": "HK3"}, "code_outside_list", "KyBaoCao=HK3"),
        ({"NamHoc": "2024-2026"}, "invalid_school_year", "2024-2026"),
        ({"NamHoc": "2024/2025"}, "invalid_school_year", "2024/2025"),
        ({"NgayApDungThanhToanKhongDungTienMat": "32/01/2025"}, "invalid_date", "32/01/2025"),
        (
            {"NgayApDungThanhToanKhongDungTienMat": "01/09/2025"},
            "date_out_of_range",
            "after the report date",
        ),
        ({"MaXa": "31117"}, "unknown_unit", "31117"),
    ],
)
def test_bad_institution_rows_go_to_quarantine(override, rule, reason_part):
    rows = [school("S1"), {**school("S2"), **override}]
    staged, quarantine = stage_institutions(
        frame(rows, c.INSTITUTION_COLUMNS, date(2025, 6, 15)), COMMUNES
    )
    assert staged.height == 1 and quarantine.height == 1
    q = quarantine.row(0, named=True)
    assert (q["rule"], q["_row"]) == (rule, 2) and reason_part in q["reason"]


@pytest.mark.parametrize(
    ("override", "rule", "reason_part"),
    [
        ({"TongSoNguoiHoc": ""}, "missing_field", "TongSoNguoiHoc"),
        ({"TongSoNguoiHoc": "-5"}, "invalid_count", "TongSoNguoiHoc=-5"),
        ({"SoHocSinhCoHocBaSo": "mười"}, "invalid_count", "SoHocSinhCoHocBaSo=mười"),
        ({"TongSoNguoiHoc": "75000"}, "absurd_count", "more than"),
        ({"SoHocSinhCoHocBaSo": "120"}, "count_inconsistent", "exceed TongSoNguoiHoc=100"),
        ({"MaTruong": "S9"}, "unknown_institution", "S9"),
        ({"NamHoc": "25-26"}, "invalid_school_year", "25-26"),
    ],
)
def test_bad_learner_rows_go_to_quarantine(override, rule, reason_part):
    rows = [learners("S1", "100", "90"), {**learners("S1", "100", "90"), **override}]
    staged, quarantine = stage_enrolment(
        frame(rows, c.ENROLMENT_COLUMNS, date(2025, 6, 15)), pl.Series(["S1"])
    )
    assert staged.height == 1 and quarantine.height == 1
    q = quarantine.row(0, named=True)
    assert (q["rule"], q["_row"]) == (rule, 2) and reason_part in q["reason"]


def education_model(con) -> None:
    hk1 = [school("S1", since="01/09/2024", term="HK1"), school("S3", "Mầm non", term="HK1")]
    cn = [
        school("S1", since="01/09/2024"),  # public, cashless
        school("S2", "THCS"),  # public, cash
        school("S3", "Mầm non", since="01/03/2025"),  # public, cashless since March
        school("S4", "Đại học", "Tư thục", COMMUNE_B, since="01/09/2023"),  # private: not in T14
        school("S5", "THPT", "Tư thục"),  # private
    ]
    earlier = [school("S1", year="2023-2024", term="CN")]  # counted in 2024
    later = [school("S1", since="01/09/2024", year="2025-2026", term="DN")]  # counted in 2026
    frames = [
        frame(hk1, c.INSTITUTION_COLUMNS, date(2025, 1, 20), "hk1"),
        frame(cn, c.INSTITUTION_COLUMNS, date(2025, 6, 15), "cn"),
        frame(earlier, c.INSTITUTION_COLUMNS, date(2024, 6, 15), "old"),
        frame(later, c.INSTITUTION_COLUMNS, date(2025, 10, 15), "new"),
    ]
    staged = pl.concat([stage_institutions(f, COMMUNES)[0] for f in frames])
    con.register("_i", staged)
    con.execute("create table stg.education_institution as select * from _i")
    codes = pl.Series(["S1", "S2", "S3", "S4", "S5"])
    enrolment = [
        frame(
            [learners("S1", "100", "50", term="HK1")], c.ENROLMENT_COLUMNS, date(2025, 1, 20), "hk1"
        ),
        frame(
            [
                learners("S1", "100", "80"),
                learners("S2", "50", "50"),
                learners("S3", "40"),
                learners("S4", "200", students="150"),
                learners("S5", "30", "30"),
            ],
            c.ENROLMENT_COLUMNS,
            date(2025, 6, 15),
            "cn",
        ),
        frame(
            [learners("S1", "100", "10", year="2023-2024")],
            c.ENROLMENT_COLUMNS,
            date(2024, 6, 15),
            "old",
        ),
        frame(
            [learners("S1", "120", "110", year="2025-2026", term="DN")],
            c.ENROLMENT_COLUMNS,
            date(2025, 10, 15),
            "new",
        ),
    ]
    staged = pl.concat([stage_enrolment(f, codes)[0] for f in enrolment])
    con.register("_e", staged)
    con.execute("create table stg.education_enrolment as select * from _e")
    build_model(con, "core.fct_edu_institution")
    build_model(con, "core.fct_edu_enrolment")


def value(con, ind, level, code):
    return con.execute(
        "select numerator, denominator, value, met, status from mart.indicator_value where indicator_id = ? "
        "and admin_level = ? and admin_code = ? and period_type = 'year' and period_start = '2025-01-01'",
        [ind, level, code],
    ).fetchone()


def test_t13_digital_records_and_transcripts_of_the_school_year_ending_in_the_year(geo_db):
    con = geo_db
    make_periods(con, ["2025-01"])
    education_model(con)
    compute_indicators(con, [i for i in load_catalogue(CATALOGUE_FILES) if i.id == "T13"], "run-1")
    # A: end-of-year report wins over the first semester; preschool S3 left out: (80 + 50 + 30) / 180
    assert value(con, "T13", "commune", COMMUNE_A)[:2] == (160, 180)
    # B: the university's digital transcripts: 150 / 200
    assert value(con, "T13", "commune", COMMUNE_B)[:3] == (150, 200, 75.0)
    assert value(con, "T13", "district", "930")[:2] == (310, 380)
    assert value(con, "T13", "province", "93")[:4] == (310, 380, pytest.approx(81.578947), False)
    # only the year periods exist for T13
    types = con.execute(
        "select distinct period_type from mart.indicator_value where indicator_id = 'T13'"
    ).fetchall()
    assert types == [("year",)]


def test_t14_public_institutions_taking_tuition_without_cash(geo_db):
    con = geo_db
    make_periods(con, ["2025-01"])
    education_model(con)
    compute_indicators(con, [i for i in load_catalogue(CATALOGUE_FILES) if i.id == "T14"], "run-1")
    # public S1 and S3 (cashless by the end-of-year report), S2 not; private S4, S5 left out
    assert value(con, "T14", "commune", COMMUNE_A)[:2] == (2, 3)
    # B has only a private university: no public institution, no value
    assert value(con, "T14", "commune", COMMUNE_B)[4] == "no_data"
    assert value(con, "T14", "province", "93")[:4] == (2, 3, pytest.approx(200 / 3), False)


def test_t14_all_public_cashless_meets_the_target(geo_db):
    con = geo_db
    make_periods(con, ["2025-01"])
    staged, _ = stage_institutions(
        frame(
            [school("S1", since="01/09/2024"), school("S2", "THCS", since="31/05/2025")],
            c.INSTITUTION_COLUMNS,
            date(2025, 6, 15),
        ),
        COMMUNES,
    )
    con.register("_i", staged)
    con.execute("create table stg.education_institution as select * from _i")
    build_model(con, "core.fct_edu_institution")
    compute_indicators(con, [i for i in load_catalogue(CATALOGUE_FILES) if i.id == "T14"], "run-1")
    assert value(con, "T14", "commune", COMMUNE_A)[:4] == (2, 2, 100.0, True)


def test_end_to_end_without_prefect(tmp_path):
    con, _ = run_e2e(
        tmp_path,
        ["education"],
        date(2025, 1, 1),
        date(2025, 6, 30),
        0.02,
        ["core.fct_edu_institution", "core.fct_edu_enrolment"],
        ["T13", "T14"],
    )
    assert_rows_balance(con, "education")
    rules = dict(con.execute("select rule, count(*) from audit.quarantine group by 1").fetchall())
    assert rules == {"code_outside_list": 2, "unknown_unit": 2, "unknown_institution": 2}
    rows = con.execute(
        "select indicator_id, numerator, denominator, value, status from mart.indicator_value "
        "where admin_level = 'province' and geo_view = 'as_it_was' order by 1"
    ).fetchall()
    assert [r[0] for r in rows] == ["T13", "T14"] and all(r[4] == "ok" for r in rows)
    assert 70 < rows[0][3] < 100 and 70 < rows[1][3] < 100
    assert rows[1][2] > 300  # public institutions are counted whatever the scale


def test_core_builds_before_the_first_delivery(tmp_path):
    assert_core_builds_before_the_first_delivery(
        tmp_path, ["education"], ["core.fct_edu_institution", "core.fct_edu_enrolment"]
    )
