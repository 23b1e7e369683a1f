"""The national portal's 766 figures: the formulas, the answers as files and over HTTP, null vs 0."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest
from conftest import SOURCES, build_model, staging

from sources.dvc import connector as dvc_connector
from sources.dvc import constants as dvc
from sources.extract import extract
from sources.http import RetryPolicy
from sources.national766 import constants as c
from sources.national766.connector import read_page
from sources.national766.figures import DvcRecords, evaluate
from sources.portal.app import Faults
from sources.portal.server import running
from sources.pull import pull_766
from transforms.staging.run import load_reference, stage_source
from warehouse import build as wh

JAN = [("month", date(2025, 1, 1), date(2025, 1, 31))]


def dossier(code: str, **fields) -> dict:
    base = {
        "MaHoSo": code,
        "MaTTHC": "1.000001",
        "DonViXuLy": "000.00.01.H93",
        "KenhThucHien": "2",
        "TrangThaiHoSo": "10",
        "NgayNopHoSo": "20250106080000",
        "NgayTiepNhan": "20250106090000",
        "NgayHenTra": "20250110170000",
        "NgayKetThucXuLy": "20250108100000",
        "TaiKhoanDuocXacThucVoiVNeID": "0",
        "DuocLayTuKhoDMQG": "0",
        "MaCSDL": None,
        "DongBoDVCQG": "1",
        "HoSoCoThanhPhanSoHoa": "0",
        "DuocThanhToanTrucTuyen": "3",
        "DanhSachGiayToKetQua": [],
        "DanhSachLePhi": [],
        "_day": date(2025, 1, 8),
    }
    return base | fields


RESULT = [{"MaGiayToKetQua": "KQ.1", "DuongDanTepTinKetQua": "https://x/kq.pdf"}]
NO_LINK = [{"MaGiayToKetQua": "KQ.2", "DuongDanTepTinKetQua": ""}]


def records(rows: list[dict], ratings: list[dict] | None = None) -> DvcRecords:
    schema = {**dvc_connector.DOSSIER_SCHEMA, "_day": pl.Date}
    return DvcRecords(
        pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema=schema),
        pl.DataFrame(
            ratings or [],
            schema={k: pl.String for k in dvc.RATING_COLUMNS} | {"_day": pl.Date},
        ),
        pl.DataFrame(
            {"MaTTHC": ["1.000001", "1.000002"], "DuDieuKienToanTrinh": ["1", "1"]}
            | {"YeuCauGiayToKetQua": ["1", "0"]}
        ),
        pl.DataFrame(
            {
                "MaDonVi": ["A", "B", "C"],
                "MaTTHC": ["1.000001", "1.000001", "1.000002"],
                "MucDo": ["4", "3", "4"],
                "NgayCungCapToanTrinh": ["20241201080000", None, "20250215080000"],
            }
        ),
    )


def metric(figures: pl.DataFrame, code: str) -> tuple:
    row = figures.filter(pl.col("code") == code).row(0, named=True)
    return row["numerator"], row["denominator"], row["ratio"]


def test_the_766_formulas_on_a_handful_of_dossiers():
    rows = [
        # online, finished late with a linked e-result, data from a national database
        dossier(
            "A",
            NgayKetThucXuLy="20250111100000",
            DanhSachGiayToKetQua=RESULT,
            DuocLayTuKhoDMQG="1",
        ),
        # online, finished on time, result code without a file link: not an electronic result
        dossier("B", DanhSachGiayToKetQua=NO_LINK, TaiKhoanDuocXacThucVoiVNeID="1"),
        # online, still processing, procedure without a result document; not synced
        dossier("C", MaTTHC="1.000002", TrangThaiHoSo="4", DongBoDVCQG="0", MaCSDL="CSDLQGDC"),
        # in person, finished on time with an e-result
        dossier("D", KenhThucHien="1", DanhSachGiayToKetQua=RESULT),
        # refused at reception: not received
        dossier("E", TrangThaiHoSo="3", NgayTiepNhan=None),
        # an earlier version of D, superseded
        dossier("D", KenhThucHien="1", TrangThaiHoSo="4", _day=date(2025, 1, 6)),
    ]
    ratings = [{"MaHoSo": "A", "NgayDanhGia": "20250112090000", "MucDoHaiLong": "4"}]
    ratings = [r | {"CoKhieuNai": "0", "_day": date(2025, 1, 12)} for r in ratings]
    figures = evaluate(records(rows, ratings), JAN)
    # received: A B C D (4); online with the result rule: A (linked), C (no result document)
    # -> 2 / 4, scaled by the sync rate 3/4
    assert metric(figures, "online_dossier") == (2, 4, round(100 * 2 / 4 * 3 / 4, 2))
    # VNeID or national data: A (national DB), B (VNeID), C (MaCSDL) of all 4 received
    assert metric(figures, "vneid_identification") == (3, 4, 75.0)
    # finished needing a result document: A B D; with code and link: A D
    assert metric(figures, "e_result") == (2, 3, round(200 / 3, 2))
    # finished A B D; A is late and rated dissatisfied: it counts twice against satisfaction
    assert metric(figures, "satisfaction") == (1, 3, round(100 / 3, 2))
    # eligible (agency, procedure) pairs: 3; full-process by 31 January: A only (C from February)
    assert metric(figures, "full_process_provision") == (1, 3, round(100 / 3, 2))
    # not evaluated: null, never 0
    assert metric(figures, "transparency_publication") == (None, None, None)
    satisfaction = figures.filter(pl.col("code") == "satisfaction").row(0, named=True)
    assert satisfaction["score"] == round(18 * (100 / 3) / 90, 2) and satisfaction["maxScore"] == 18
    assert set(figures["provinceCode"]) == {"93"}


def test_the_province_follows_the_merger_and_a_shift_moves_one_metric():
    rows = [dossier("A", NgayTiepNhan="20250806090000", NgayKetThucXuLy="20250807100000")]
    periods = [("month", date(2025, 8, 1), date(2025, 8, 31)), *JAN]
    figures = evaluate(records(rows), periods, shift={"vneid_identification": 5.0})
    aug = figures.filter(pl.col("month") == 8)
    assert set(aug["provinceCode"]) == {"92"}  # published under Cần Thơ from 1/7/2025
    assert metric(aug, "vneid_identification")[2] == 5.0  # 0 % + 5 points
    assert c.province_for(date(2025, 6, 30))[0] == "93"


def test_null_stays_null_and_provisional_stays_flagged(tmp_path):
    page = tmp_path / "766-transparency-month-2025M01-p0001_20250131.json"
    item = {f: None for f in c.ITEM_FIELDS} | {
        "provinceCode": "93",
        "timeType": "month",
        "year": 2025,
        "month": 1,
        "code": "x",
        "numerator": 0,
        "isProvisional": True,
    }
    page.write_text(json.dumps({"success": True, "data": {"currentPage": 1, "items": [item]}}))
    raw = read_page(page)
    assert raw["numerator"][0] == "0" and raw["denominator"][0] is None
    from transforms.staging.stg_national766 import stage_metrics

    staged, quarantine = stage_metrics(
        raw.with_columns(
            pl.lit("f").alias("_file_id"), pl.lit(None, dtype=pl.Date).alias("_file_date")
        )
    )
    row = staged.row(0, named=True)
    assert row["numerator"] == 0 and row["denominator"] is None and row["ratio"] is None
    assert row["is_provisional"] is True and row["period_end"] == date(2025, 1, 31)
    bad = raw.with_columns(pl.lit("12,x").alias("ratio"), pl.lit("f").alias("_file_id"))
    _, quarantine = stage_metrics(bad.with_columns(pl.lit(None, dtype=pl.Date).alias("_file_date")))
    assert (
        quarantine["rule"].to_list() == ["invalid_number"]
        and "ratio=12,x" in quarantine["reason"][0]
    )


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    from sources.dvc.simulator import simulate as simulate_dvc
    from sources.national766.simulator import simulate as simulate_766

    root = tmp_path_factory.mktemp("landing")
    simulate_dvc(root, date(2025, 1, 1), date(2025, 2, 28), scale=0.02, seed=5)
    simulate_766(root, date(2025, 1, 1), date(2025, 2, 28), scale=0.02, seed=5)
    return root


def _core(con) -> list[tuple]:
    build_model(con, "core.fct_portal_metric")
    return con.execute(
        "select * exclude (source_file_id) from core.fct_portal_metric order by all"
    ).fetchall()


def test_pulled_answers_equal_the_recorded_ones_and_a_second_pull_takes_nothing(landing, tmp_path):
    files = wh.connect(wh.prepare_build(tmp_path / "p1.duckdb", tmp_path / "files.duckdb"))
    load_reference(files)
    extract(files, SOURCES["national766"], str(landing), tmp_path / "raw1", "r1")
    stage_source(files, *staging("national766"), b"k", "r1")
    recorded = _core(files)
    assert len(recorded) == 4 * len(c.METRICS) + 4 * 3  # months Jan, Feb, Q1, 2025; 3 tree groups

    api = wh.connect(wh.prepare_build(tmp_path / "p2.duckdb", tmp_path / "api.duckdb"))
    load_reference(api)
    policy = RetryPolicy(sleep=lambda s: None)
    faults = Faults(rate_limit_every=5, server_error_every=7, cut_every=9)
    with running(landing, {"AppName": "a", "AccessKey": "b", "SecretKey": "c"}, faults) as (url, _):
        first = pull_766(
            api,
            SOURCES["national766"],
            url,
            date(2025, 1, 1),
            date(2025, 2, 28),
            tmp_path / "raw2",
            "r1",
            policy,
            page_size=3,
        )
        second = pull_766(
            api,
            SOURCES["national766"],
            url,
            date(2025, 1, 1),
            date(2025, 2, 28),
            tmp_path / "raw2",
            "r2",
            policy,
            page_size=3,
        )
    stage_source(api, *staging("national766"), b"k", "r1")
    assert first.taken == first.listed > 24 and second.taken == 0
    assert _core(api) == recorded
    balance = api.execute(
        "select bool_and(rows_read = rows_loaded + rows_quarantined + rows_duplicate) from meta.manifest"
    ).fetchone()
    assert balance == (True,)
