"""Dossiers staged in DuckDB (``SqlStaging``) are the dossiers the step function stages.

The nightly stages the common dossier in one DuckDB query over the batch's files
(``stg_dvc.dossier_sql``) and gives every other record (a quarantine, a date in another
format, a decimal fee, an ID written with spaces ...) to ``stage_dossiers``, which stays
the definition. The same landing staged that way and with the SQL path switched off must
give the same staged rows (row hashes included), quarantine rows and manifest counts.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from conftest import SOURCES, inject, simulate_source, staging

from sources.extract import extract
from transforms.staging import run
from transforms.staging.run import load_reference, stage_source
from warehouse import build as wh

START, END = date(2025, 6, 23), date(2025, 7, 6)  # across the merger of 1 July 2025


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    """A fortnight of the one-stop system with 5% of its rows corrupted by the fault injector,
    and one more file of valid records written in every unusual form the exports allow."""
    root = tmp_path_factory.mktemp("sql-staging") / "landing"
    simulate_source("dvc", root, START, END, scale=0.05, seed=11)
    inject(root, 0.05, sources=["dvc"])
    files = sorted((root / "dvc").rglob("*.jsonl"))
    records = [json.loads(line) for line in files[-1].read_text().splitlines()[:40]]
    odd = [
        ("NgayNopHoSo", lambda r: _iso(r["NgayNopHoSo"])),  # an ISO date-time
        ("NgayHenTra", lambda r: (r["NgayHenTra"] or r["NgayNopHoSo"])[:8]),  # a date alone
        ("NgayTiepNhan", lambda r: ""),  # sent empty
        ("KenhThucHien", lambda r: " 02"),  # a leading zero after a blank
        ("LoaiDoiTuong", lambda r: "+1"),
        ("HinhThuc", lambda r: "3.0"),
        ("SoGiayToChuHoSo", lambda r: "0" + "12 345 678 901"[1:]),  # an ID written with blanks
        ("SoGiayToChuHoSo", lambda r: "0123.4567.8901"),
        ("MaXaChuHoSo", lambda r: None),
        ("MaCSDL", lambda r: " CSDLQGDC "),
        ("DanhSachLePhi", lambda r: [{"MucPhi": "12500.5"}, {"MucPhi": "100"}]),
        ("DanhSachLePhi", lambda r: [{"MucPhi": None}]),
        ("DanhSachLePhi", lambda r: []),
        ("TaiLieuNop", lambda r: [{"DuocSoHoa": " 1"}, {"DuocSoHoa": "1"}, {"DuocSoHoa": None}]),
        ("DanhSachGiayToKetQua", lambda r: [{"MaGiayToKetQua": " ", "DuongDanTepTinKetQua": "x"}]),
        ("TaiKhoanDuocXacThucVoiVNeID", lambda r: "01"),
        ("DongBoDVCQG", lambda r: None),
    ]
    out = []
    for number, (field, value) in enumerate(odd):
        record = dict(records[number % len(records)])
        record[field] = value(record)
        record["MaHoSo"] = f"{record['MaHoSo']}-ODD{number}"
        out.append(json.dumps(record, ensure_ascii=False))
    target = files[-1].with_name(ODD_FILE)
    target.write_text("\n".join(out) + "\n", encoding="utf-8")
    # records in the common form but for codes whose units ended on 30/6/2025, filed in July:
    # not valid at their date (in a file of their own, read by the one pass)
    clean = tmp_path_factory.mktemp("clean")  # (the injector's faults would send it all aside)
    simulate_source("dvc", clean, START, END, scale=0.05, seed=11)
    july = [
        json.loads(line)
        for f in sorted((clean / "dvc").rglob("*.jsonl"))
        for line in f.read_text().splitlines()
        if json.loads(line).get("NgayNopHoSo", "").startswith("202507")
    ]
    ended = [
        json.dumps({**july[n], field: code, "MaHoSo": f"{july[n]['MaHoSo']}-END{n}"})
        for n, (field, code) in enumerate(
            [("DonViXuLy", ENDED_AGENCY), ("MaXaChuHoSo", ENDED_UNIT)]
        )
    ]
    ended += [json.dumps({**r, "MaHoSo": f"{r['MaHoSo']}-OK"}) for r in july[2:22]]
    # (a file named by its day: one whose name gives no date is all the step function's)
    (files[-1].with_name(ENDED_FILE)).write_text("\n".join(ended) + "\n")
    return root


ENDED_AGENCY, ENDED_UNIT = "000.01.00.H93", "31318"  # valid until 30/6/2025 (warehouse/reference)
ENDED_FILE = "hoso_20250707.jsonl"
ODD_FILE = "hoso_20250708.jsonl"  # (named by a day: a file without one is all the step function's)


def _iso(digits: str) -> str:
    return (
        f"{digits[:4]}-{digits[4:6]}-{digits[6:8]} {digits[8:10]}:{digits[10:12]}:{digits[12:14]}"
    )


def _staged(landing: Path, tmp: Path, in_sql: bool) -> dict[str, list]:
    """Extract and stage the one-stop system, with or without the SQL path; what it left."""
    source, steps = staging("dvc")
    if not in_sql:
        steps = {name: dataclasses.replace(step, sql=None) for name, step in steps.items()}
    tmp.mkdir(parents=True)
    build = wh.prepare_build(tmp / "pub.duckdb", tmp / "build.duckdb")
    con = wh.connect(build)
    try:
        load_reference(con)
        extract(
            con, SOURCES["dvc"], str(shutil.copytree(landing, tmp / "landing")), tmp / "raw", "r1"
        )
        stage_source(con, source, steps, b"k", "r1")
        return {
            "dossiers": con.execute(
                """select m.name, d.* exclude (_file_id, _run_id) from stg.dvc_dossier as d
                   join meta.manifest as m on m.file_id = d._file_id order by m.name, d._row"""
            ).fetchall(),
            "types": con.execute("describe stg.dvc_dossier").fetchall(),
            "quarantine": con.execute(
                """select file_name, row, rule, reason, record from audit.quarantine
                   where dataset = 'dossier' order by file_name, row"""
            ).fetchall(),
            "manifest": con.execute(
                """select name, status, rows_read, rows_loaded, rows_quarantined, rows_duplicate
                   from meta.manifest order by name"""
            ).fetchall(),
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def both(landing, tmp_path_factory) -> tuple[dict, dict]:
    tmp = tmp_path_factory.mktemp("both")
    shares: list[tuple[int, int]] = []  # (rows staged in DuckDB, rows left to the step function)

    original = run.the_rest

    def the_rest(con):
        rest = original(con)
        shares.append((con.execute("select count(*) from _new").fetchall()[0][0], rest.height))
        return rest

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("transforms.staging.run.the_rest", the_rest)
        in_sql = _staged(landing, tmp / "sql", in_sql=True)
    in_sql["shares"] = shares
    return in_sql, _staged(landing, tmp / "polars", False)


def test_the_sql_path_stages_what_the_step_function_stages(both):
    in_sql, by_polars = both
    assert in_sql["types"] == by_polars["types"]
    assert len(in_sql["dossiers"]) > 1000
    assert in_sql["dossiers"] == by_polars["dossiers"]  # row hashes included


def test_the_sql_path_takes_the_common_record(both):
    in_sql, _ = both
    fast, rest = (sum(n) for n in zip(*in_sql["shares"], strict=True))
    assert rest > 20  # the faults and the odd forms
    assert fast / (fast + rest) > 0.9


def test_quarantine_and_the_manifest_are_the_same(both):
    in_sql, by_polars = both
    assert len(in_sql["quarantine"]) > 20  # the injected faults
    assert in_sql["quarantine"] == by_polars["quarantine"]
    assert in_sql["manifest"] == by_polars["manifest"]


def test_codes_not_valid_at_the_filing_date_are_left_to_the_step_function(both):
    in_sql, by_polars = both
    rules = {r[1]: r[2] for r in by_polars["quarantine"] if r[0] == ENDED_FILE}
    assert sorted(rules) == [1, 2] and set(rules.values()) == {"code_not_valid_at_date"}, rules
    staged = [r[1] for r in in_sql["dossiers"] if r[0] == ENDED_FILE]
    assert len(staged) >= 15 and not [d for d in staged if "-END" in d]
    assert in_sql["shares"] and sum(s[0] for s in in_sql["shares"]) > 0


def test_the_odd_forms_are_staged_and_not_quarantined(both):
    in_sql, _ = both
    odd = [r for r in in_sql["dossiers"] if "-ODD" in r[1]]
    quarantined = {r[1] for r in in_sql["quarantine"] if r[0] == ODD_FILE}
    # an ISO date-time, a blank-padded code, an ID written with blanks or dots: all staged
    assert len(odd) + len(quarantined) == 17 and len(odd) >= 14
    fees = {r[1].rsplit("-", 1)[1]: r for r in odd}
    assert fees["ODD10"][-4] == 12600.5  # fee_total of a decimal fee, read by the step function


def test_files_read_alone_are_read_two_at_a_time_and_each_keeps_its_frame_or_error(tmp_path):
    """``read_files``: the files a batch reader leaves are read on two threads; each file's
    frame or error is its own (an error named by the landing name), whatever finishes first."""
    import threading
    import time

    import polars as pl

    from sources.base import SourceFileError

    threads = set()

    def reader(path: str) -> pl.DataFrame:
        threads.add(threading.get_ident())
        number = int(Path(path).stem)
        time.sleep(0.02 * (number % 3))  # finish out of order
        if number == 4:
            raise SourceFileError(path, 2, None, "cannot parse CSV")
        if number == 6:
            raise ValueError("broken 0912345678")  # a parser quoting a phone number
        return pl.DataFrame({"n": [number]})

    def batch(paths: list[str], counted: list) -> list[pl.DataFrame | None]:
        return [pl.DataFrame({"n": [100]}) if p.endswith("/1.csv") else None for p in paths]

    files = [
        (
            f"id{n}",
            f"landed-{n}.csv",
            str(tmp_path / f"{n}.csv"),
            date(2025, 1, n),
            None,
            None,
            None,
        )
        for n in range(1, 9)
    ]
    frames, errors = run.read_files(files, reader, batch)
    assert {fid: df["n"].to_list() for fid, df in frames.items()} == {
        "id1": [100],  # the batch reader's
        **{f"id{n}": [n] for n in (2, 3, 5, 7, 8)},
    }
    assert frames["id5"]["_file_date"].to_list() == [date(2025, 1, 5)]
    assert set(errors) == {"id4", "id6"}
    assert "landed-4.csv" in errors["id4"] and str(tmp_path) not in errors["id4"]
    assert (
        errors["id6"].startswith("landed-6.csv: ValueError") and "0912345678" not in errors["id6"]
    )
    assert len(threads) == 3  # the first read in the caller's thread, then two at a time


def test_a_batch_the_query_stages_whole_leaves_nothing_to_the_step_function(tmp_path, monkeypatch):
    """Records all in the common form: the query stages every one, so the search for the rest
    and the step function are skipped; the manifest still accounts for every row."""
    root = tmp_path / "landing"
    simulate_source("dvc", root, date(2025, 3, 3), date(2025, 3, 5), scale=0.05, seed=3)

    def not_called(*args, **kwargs):
        raise AssertionError("nothing is left to the step function")

    monkeypatch.setattr("transforms.staging.run.the_rest", not_called)
    source, steps = staging("dvc")
    given: list[int] = []  # the rows the step function was given, call by call
    original = steps["dossier"].fn

    def step_function(raw, ctx):
        given.append(raw.height)
        return original(raw, ctx)

    steps = {**steps, "dossier": dataclasses.replace(steps["dossier"], fn=step_function)}
    build = wh.prepare_build(tmp_path / "pub.duckdb", tmp_path / "build.duckdb")
    con = wh.connect(build)
    try:
        load_reference(con)
        extract(con, SOURCES["dvc"], str(root), tmp_path / "raw", "r1")
        summary = stage_source(con, source, steps, b"k", "r1")
        counts = con.execute(
            """select count(*), sum(rows_read), sum(rows_loaded), sum(rows_quarantined)
               from meta.manifest where dataset = 'dossier' and status = 'loaded'"""
        ).fetchall()[0]
        staged = con.execute("select count(*) from stg.dvc_dossier").fetchall()[0][0]
    finally:
        con.close()
    assert given == [0]  # once, on no rows: the empty table made before the first file
    assert summary.files_failed == 0
    assert counts[0] >= 3 and counts[1] > 100
    assert counts[1] == counts[2] == staged and counts[3] == 0
