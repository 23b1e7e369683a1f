"""One bad entry never stops the night: faults as they come from the field, through extract and staging.

Each test drops the fault into a small simulated landing of the one-stop system next to clean
files and checks that the fault becomes one manifest ``error`` entry (landing name + cause) or
quarantine rows (rule + reason without the value), that every other file loads, and that the
build passes the publish audit. No Prefect: the pure functions the nightly's tasks call.
"""

from __future__ import annotations

import codecs
import json
import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from conftest import SOURCES, assert_not_stored, simulate_source, stage_landing

from sources import extract as extract_module
from sources import landing as landing_module
from warehouse import build as wh
from warehouse.audit import audit_problems, clear_id_problems, row_balance_problems

DAY = "20250113"  # the day after the simulated week: where the faulty files are dropped


@pytest.fixture(scope="module")
def week(tmp_path_factory) -> Path:
    landing = tmp_path_factory.mktemp("week") / "landing"
    simulate_source("dvc", landing, date(2025, 1, 6), date(2025, 1, 12), scale=0.02, seed=7)
    return landing


@pytest.fixture
def landing(tmp_path, week) -> Path:
    return Path(shutil.copytree(week, tmp_path / "landing"))


def hoso(landing: Path) -> Path:
    return landing / "dvc" / "hoso" / "2025"


def dossiers(landing: Path, n: int = 3) -> list[dict]:
    """``n`` clean dossier records of the simulated week, made unique (new dossier codes)."""
    lines = sorted(hoso(landing).glob("hoso_*.jsonl"))[2].read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines[:n]]
    for r in records:
        r["MaHoSo"] += "-F"
    return records


def write_jsonl(path: Path, records: list[dict], bom: bool = False) -> Path:
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8"))
    return path


def manifest(con, name: str) -> tuple:
    rows = con.execute(
        """select status, error, rows_read, rows_loaded, rows_quarantined from meta.manifest
           where name = ?""",
        [name],
    ).fetchall()
    assert len(rows) == 1, rows
    return rows[0]


def assert_rest_of_the_night_loads(con, summary) -> None:
    """Every clean file of the week loaded, and the build would pass the publish audit."""
    statuses = dict(
        con.execute(
            "select status, count(*) from meta.manifest where name like 'hoso_2025010%' "
            "or name like 'hoso_2025011_.jsonl' and name <> ? group by 1",
            [f"hoso_{DAY}.jsonl"],
        ).fetchall()
    )
    assert statuses == {"loaded": 7}, statuses
    assert summary.rows_loaded > 0
    assert not row_balance_problems(con) and not clear_id_problems(con)


def test_a_dangling_symlink_is_one_error_entry_and_the_rest_loads(tmp_path, landing):
    link = hoso(landing) / f"hoso_{DAY}.jsonl"
    link.symlink_to(tmp_path / "gone" / "hoso_export.jsonl")
    con, summary = stage_landing(tmp_path, "dvc", landing)
    status, error, *_ = manifest(con, link.name)
    assert status == "error"
    assert error == f"dvc/hoso/2025/{link.name}: a symbolic link whose target does not exist"
    assert_rest_of_the_night_loads(con, summary)
    con.close()


def test_a_file_vanishing_between_listing_and_reading_is_one_error_entry(
    tmp_path, landing, monkeypatch
):
    vanishing = write_jsonl(hoso(landing) / f"hoso_{DAY}.jsonl", dossiers(landing))
    listed = landing_module.list_landing

    def list_then_sender_moves_it(*args, **kwargs):
        files = listed(*args, **kwargs)
        vanishing.unlink()  # the sender's own job moves the file away right after the listing
        return files

    monkeypatch.setattr(extract_module, "list_landing", list_then_sender_moves_it)
    con, summary = stage_landing(tmp_path, "dvc", landing)
    status, error, *_ = manifest(con, vanishing.name)
    assert status == "error"
    assert error.startswith(f"dvc/hoso/2025/{vanishing.name}: the file vanished between listing")
    assert_rest_of_the_night_loads(con, summary)
    assert not list((tmp_path / "raw").rglob("*.part"))
    # it comes back the next night: taken then, and its error entry is settled
    monkeypatch.undo()
    write_jsonl(vanishing, dossiers(landing))
    from sources.extract import extract

    extract(con, SOURCES["dvc"], str(landing), tmp_path / "raw", "r2")
    assert con.execute(
        "select status from meta.manifest where name = ?", [vanishing.name]
    ).fetchall() == [("extracted",)]
    con.close()


def test_a_250_byte_vietnamese_file_name_loads(tmp_path, landing):
    words = "hoso_đồng_bộ_từ_hệ_thống_một_cửa_điện_tử_huyện_Châu_Thành_A_"
    stem = (words * 8).encode("utf-8")[: 250 - len(f"_{DAY}.jsonl")].decode("utf-8", "ignore")
    name = f"{stem}_{DAY}.jsonl"
    assert 240 <= len(name.encode("utf-8")) <= 250
    write_jsonl(hoso(landing) / name, dossiers(landing))
    con, summary = stage_landing(tmp_path, "dvc", landing)
    status, error, read, loaded, _ = manifest(con, name)
    assert (status, error, read, loaded) == ("loaded", None, 3, 3)
    archived = con.execute("select archive_path from meta.manifest where name = ?", [name])
    archive = Path(archived.fetchall()[0][0])
    assert archive.is_file() and len(archive.name.encode("utf-8")) <= 255
    assert_rest_of_the_night_loads(con, summary)
    con.close()


def test_an_archive_failure_names_the_real_cause_and_the_rest_loads(tmp_path, landing, monkeypatch):
    """The OS refuses the archive name (as it did for long names before they were shortened): the
    file is an error entry saying so, the other files load, and nothing hides the cause."""
    name = f"hoso_{DAY}.jsonl"
    write_jsonl(hoso(landing) / name, dossiers(landing))
    shortened = landing_module.archive_name
    monkeypatch.setattr(
        landing_module,
        "archive_name",
        lambda digest, n: n * 20 if n == name else shortened(digest, n),  # > 255 bytes
    )
    con, summary = stage_landing(tmp_path, "dvc", landing)
    status, error, *_ = manifest(con, name)
    assert status == "error"
    assert (
        error == f"dvc/hoso/2025/{name}: cannot read or archive it: File name too long (errno 36)"
    )
    assert_rest_of_the_night_loads(con, summary)
    con.close()


def test_a_failed_step_reports_its_own_error_not_the_checkpoint(tmp_path):
    build = wh.prepare_build(tmp_path / "pub.duckdb", tmp_path / "build.duckdb")
    con = wh.connect(build)
    with pytest.raises(OSError, match="File name too long"):
        try:
            con.begin()
            con.execute("insert into audit.run (run_id, status) values ('r1', 'building')")
            raise OSError(36, "File name too long")
        finally:
            wh.checkpoint_and_close(con)
    con = wh.connect(build)
    assert con.execute("select count(*) from audit.run").fetchall() == [(0,)]  # rolled back
    con.close()


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("093085001234", "citizen ID"),
        ("0912 345 678", "phone number"),
        ("nguyen.van.an@gmail.com", "e-mail address"),
    ],
)
def test_personal_data_in_the_dossier_code_is_quarantined_without_its_value(
    tmp_path, landing, value, kind
):
    records = dossiers(landing)
    records[1]["MaHoSo"] = value
    name = f"hoso_{DAY}.jsonl"
    write_jsonl(hoso(landing) / name, records)
    con, summary = stage_landing(tmp_path, "dvc", landing)
    assert manifest(con, name)[2:] == (3, 2, 1)
    (rule, reason, record), *_ = con.execute(
        "select rule, reason, record from audit.quarantine where file_name = ?", [name]
    ).fetchall()
    assert rule == "personal_data_in_field"
    assert reason.startswith(f"MaHoSo ({kind}): a value shaped like personal data")
    assert value not in reason and value not in record
    assert json.loads(record)["MaHoSo"] == "<withheld>"
    assert_not_stored(con, {value})
    assert not clear_id_problems(con)  # the publish audit has nothing left to refuse
    assert_rest_of_the_night_loads(con, summary)
    con.close()


def test_a_nested_object_holding_a_name_and_phone_is_never_stringified(tmp_path, landing):
    records = dossiers(landing)
    records[0]["DonViXuLy"] = {
        "MaDonVi": "000.00.930.H93",
        "CanBoXuLy": "Trần Thị Bích Ngọc",
        "SoDienThoai": "0987654321",
    }
    records[2]["TaiLieuNop"] = [{"DuocSoHoa": {"NguoiSoHoa": "Lê Văn Tám", "DT": "0911222333"}}]
    name = f"hoso_{DAY}.jsonl"
    write_jsonl(hoso(landing) / name, records)
    con, summary = stage_landing(tmp_path, "dvc", landing)
    assert manifest(con, name)[2:] == (3, 1, 2)
    quarantined = con.execute(
        'select "row", rule, reason from audit.quarantine where file_name = ? order by "row"',
        [name],
    ).fetchall()
    assert quarantined == [
        (
            1,
            "nested_value",
            "DonViXuLy sent as a JSON object or list where a value is expected; value withheld",
        ),
        (
            3,
            "nested_value",
            "TaiLieuNop sent as a JSON object or list where a value is expected; value withheld",
        ),
    ]
    assert_not_stored(con, {"Trần Thị Bích Ngọc", "0987654321", "Lê Văn Tám", "0911222333"})
    assert_rest_of_the_night_loads(con, summary)
    con.close()


def test_a_symlink_to_the_key_is_not_followed(tmp_path, landing):
    key = tmp_path / "home" / "secrets" / "pii.key"
    key.parent.mkdir(parents=True)
    key.write_text("5f4dcc3b5aa765d61d8327deb882cf99" * 2)
    link = hoso(landing) / f"hoso_{DAY}.jsonl"
    link.symlink_to(key)
    con, summary = stage_landing(tmp_path, "dvc", landing)
    status, error, *_ = manifest(con, link.name)
    assert status == "error"
    assert error.endswith("a symbolic link to a file outside the landing zone: not followed")
    secret = key.read_text()
    archived = [p for p in (tmp_path / "raw").rglob("*") if p.is_file()]
    assert archived and not any(secret.encode() in p.read_bytes() for p in archived)
    assert_not_stored(con, {secret, secret[:16]})
    assert_rest_of_the_night_loads(con, summary)
    con.close()


def test_a_link_inside_the_landing_zone_is_followed(tmp_path, landing):
    real = write_jsonl(landing / "dvc" / f"export_{DAY}.jsonl", dossiers(landing))
    (hoso(landing) / f"hoso_{DAY}.jsonl").symlink_to(os.path.relpath(real, hoso(landing)))
    con, summary = stage_landing(tmp_path, "dvc", landing)
    assert manifest(con, f"hoso_{DAY}.jsonl")[:4] == ("loaded", None, 3, 3)
    assert_rest_of_the_night_loads(con, summary)
    con.close()


def test_a_bom_in_json_lines_loads(tmp_path, landing):
    records = dossiers(landing, 4)
    name = f"hoso_{DAY}.jsonl"
    first = write_jsonl(tmp_path / "a.jsonl", records[:2], bom=True).read_bytes()
    second = write_jsonl(tmp_path / "b.jsonl", records[2:], bom=True).read_bytes()
    (hoso(landing) / name).write_bytes(first + second)  # two exports concatenated, BOM each
    con, summary = stage_landing(tmp_path, "dvc", landing)
    assert manifest(con, name) == ("loaded", None, 4, 4, 0)
    assert_rest_of_the_night_loads(con, summary)
    con.close()


def test_a_file_name_in_upper_case_is_listed_and_loaded(tmp_path, landing):
    name = f"HOSO_{DAY}.JSONL"
    write_jsonl(hoso(landing) / name, dossiers(landing))
    con, summary = stage_landing(tmp_path, "dvc", landing)
    assert manifest(con, name) == ("loaded", None, 3, 3, 0)
    assert con.execute("select file_date from meta.manifest where name = ?", [name]).fetchall() == [
        (date(2025, 1, 13),)
    ]
    assert_rest_of_the_night_loads(con, summary)
    con.close()


def test_codes_padded_with_no_break_spaces_are_trimmed(tmp_path, landing):
    records = dossiers(landing)
    records[0]["DonViXuLy"] = "\u00a0" + records[0]["DonViXuLy"] + "\u00a0\u200b"
    records[1]["MaTTHC"] = "\u202f" + records[1]["MaTTHC"]
    name = f"hoso_{DAY}.jsonl"
    write_jsonl(hoso(landing) / name, records)
    rating = landing / "dvc" / "danhgia" / "2025" / f"danhgia_{DAY}.csv"
    rating.write_text(
        f"MaHoSo,NgayDanhGia,MucDoHaiLong,CoKhieuNai\n\u00a0{records[0]['MaHoSo']}\u00a0,"
        f"{DAY}100000,\u00a01,0\n",
        encoding="utf-8",
    )
    con, summary = stage_landing(tmp_path, "dvc", landing)
    assert manifest(con, name) == ("loaded", None, 3, 3, 0)
    assert manifest(con, rating.name) == ("loaded", None, 1, 1, 0)
    assert_rest_of_the_night_loads(con, summary)
    con.close()


def test_a_csv_saved_with_semicolons_reads_and_an_unknown_layout_names_its_separator(
    tmp_path, landing
):
    ratings = landing / "dvc" / "danhgia" / "2025"
    code = dossiers(landing)[0]["MaHoSo"][:-2]  # a dossier of the week
    good = ratings / f"danhgia_{DAY}.csv"
    good.write_text(
        f"MaHoSo;NgayDanhGia;MucDoHaiLong;CoKhieuNai\n{code};{DAY}100000;1;0\n", encoding="utf-8"
    )
    bad = ratings / "danhgia_20250114.csv"
    bad.write_text(f"MaHoSo|NgayDanhGia|Diem\n{code}|{DAY}100000|1\n", encoding="utf-8")
    con, summary = stage_landing(tmp_path, "dvc", landing)
    assert manifest(con, good.name) == ("loaded", None, 1, 1, 0)
    status, error, *_ = manifest(con, bad.name)
    assert status == "error"
    assert error.startswith(f"{bad.name}, line 1, field MucDoHaiLong, CoKhieuNai: missing column")
    assert "the header line holds '|' 2 time(s)" in error
    assert_rest_of_the_night_loads(con, summary)
    con.close()


def test_the_audit_passes_a_build_with_all_these_faults_at_once(tmp_path, landing):
    records = dossiers(landing, 5)
    records[0]["MaHoSo"] = "093085001234"
    records[1]["DonViXuLy"] = {"CanBo": "Trần Thị Bích Ngọc", "DT": "0987654321"}
    write_jsonl(hoso(landing) / f"hoso_{DAY}.jsonl", records, bom=True)
    (hoso(landing) / "hoso_20250114.jsonl").symlink_to(tmp_path / "nowhere.jsonl")
    con, _ = stage_landing(tmp_path, "dvc", landing)
    problems = [p for p in audit_problems_without_indicators(con)]
    assert problems == []
    con.close()


def audit_problems_without_indicators(con) -> list[str]:
    """The publish audit's checks on files and personal data (indicators are not built here)."""
    con.execute("create schema if not exists mart")
    con.execute("create or replace table mart.indicator_value as select 1 as x")
    return audit_problems(con)
