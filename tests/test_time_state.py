"""State as history, snapshots as observations, events loaded once (issue 7), given/expected.

Hand-made landing files of the one-stop system (dvc): a procedure catalogue (thutuc), the
agencies' provision of procedures (cungcap) and daily dossiers (hoso), taken and staged as the
nightly does, the core built, T01 and T02 computed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CATALOGUE_FILES, MODEL_FOLDERS, staging

from sources.extract import extract, register_sources
from transforms.core import build_core
from transforms.marts.indicators import compute_indicators, load_catalogue
from transforms.staging.run import load_reference, stage_source
from warehouse.build import connect, ensure_schema

AGENCY = "31318.00.930.H93"  # People's Committee of Phường I (commune 31318)
COMMUNE = "31318"
P1, P2 = "1.001612", "1.000856"
HEADER_PROCEDURE = "MaTTHC,TenTTHC,MaLinhVuc,TenLinhVuc,CapThucHien,MucDo,DuDieuKienToanTrinh\n"
HEADER_PROVISION = "MaDonVi,MaTTHC,MucDo,NgayCungCapToanTrinh\n"


def catalogue_csv(eligible: dict[str, int]) -> str:
    return HEADER_PROCEDURE + "".join(
        f"{code},Thủ tục {code},G01,Lĩnh vực,Cấp Xã,4,{flag}\n" for code, flag in eligible.items()
    )


def provision_csv(rows: list[tuple[str, int, str]]) -> str:
    return HEADER_PROVISION + "".join(
        f"{AGENCY},{code},{lvl},{since}\n" for code, lvl, since in rows
    )


def dossier(seq: int, day: str, procedure: str) -> str:
    """One dossier filed and received online on ``day`` (yyyymmdd), still being handled."""
    return json.dumps(
        {
            "MaHoSo": f"{AGENCY}-{day[2:]}-{seq:04d}",
            "MaTTHC": procedure,
            "TenTTHC": "x",
            "KenhThucHien": 2,
            "ChuHoSo": "Nguyễn Văn An",
            "SoGiayToChuHoSo": "093085001234",
            "LoaiDoiTuong": 1,
            "NgayNopHoSo": f"{day}080000",
            "NgayTiepNhan": f"{day}090000",
            "NgayHenTra": f"{day}170000",
            "TrangThaiHoSo": 4,
            "DonViXuLy": AGENCY,
            "HinhThuc": 3,
            "TaiLieuNop": [],
            "DanhSachGiayToKetQua": [],
            "DanhSachLePhi": [],
        },
        ensure_ascii=False,
    )


class Warehouse:
    """A build file fed from a hand-made landing zone, run by run as the nightly does."""

    def __init__(self, root: Path) -> None:
        self.root, self.landing, self.runs = root, root / "landing" / "dvc", 0
        self.con = connect(root / "build.duckdb")
        ensure_schema(self.con)
        load_reference(self.con)
        source, _ = staging("dvc")
        register_sources(self.con, {"dvc": source})

    def drop(self, relative: str, text: str | bytes) -> None:
        path = self.landing / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))

    def run(self, indicators: tuple[str, ...] = ("T01", "T02")) -> str:
        self.runs += 1
        run_id = f"r{self.runs}"
        source, steps = staging("dvc")
        extract(self.con, source, str(self.landing.parent), self.root / "raw", run_id)
        stage_source(self.con, source, steps, b"k", run_id)
        build_core(self.con, MODEL_FOLDERS)
        chosen = [i for i in load_catalogue(CATALOGUE_FILES) if i.id in indicators]
        compute_indicators(self.con, chosen, run_id)
        return run_id

    def value(self, indicator: str, month: str) -> tuple[float, float]:
        return self.con.execute(
            """select numerator, denominator from mart.indicator_value
               where indicator_id = ? and period_type = 'month' and admin_code = ?
                 and strftime(period_start, '%Y-%m') = ?""",
            [indicator, COMMUNE, month],
        ).fetchone()

    def manifest(self, name: str) -> tuple:
        return self.con.execute(
            "select status, rows_read, rows_loaded, rows_duplicate, duplicate_of from meta.manifest where name = ?",
            [name],
        ).fetchone()


@pytest.fixture
def wh(tmp_path):
    w = Warehouse(tmp_path)
    yield w
    w.con.close()


def test_a_provision_snapshot_dated_1_april_leaves_march_unchanged(wh):
    # given: in January both procedures eligible; the agency provides P1 full-process since
    # June 2024 and P2 at level 3; one online dossier of each in March
    wh.drop("catalogue/thutuc_20250101.csv", catalogue_csv({P1: 1, P2: 1}))
    wh.drop(
        "catalogue/cungcap_20250101.csv", provision_csv([(P1, 4, "20240601000000"), (P2, 3, "")])
    )
    wh.drop(
        "hoso/2025/hoso_20250310.jsonl",
        dossier(1, "20250310", P1) + "\n" + dossier(2, "20250310", P2) + "\n",
    )
    wh.run()
    march = (wh.value("T01", "2025-03"), wh.value("T02", "2025-03"))
    assert march == ((1, 2), (1, 2))
    # when: a snapshot dated 1 April says the agency no longer provides P1 and P2 is full-process
    # from 1 April; one online dossier of P2 in April
    wh.drop("catalogue/cungcap_20250401.csv", provision_csv([(P2, 4, "20250401000000")]))
    wh.drop("hoso/2025/hoso_20250410.jsonl", dossier(3, "20250410", P2) + "\n")
    wh.run()
    # then: March reads the provision as it stood in March; April as it stands from 1 April
    assert (wh.value("T01", "2025-03"), wh.value("T02", "2025-03")) == march
    assert wh.value("T01", "2025-04") == (1, 1)
    assert wh.value("T02", "2025-04") == (1, 1)
    intervals = wh.con.execute(
        """select procedure_code, service_level, valid_from, cast(valid_to as varchar)
           from core.fct_provision order by procedure_code, valid_from"""
    ).fetchall()
    by_code = {(p, str(f)): t for p, _, f, t in intervals}
    assert by_code == {
        (P1, "2000-01-01"): "2025-03-31",
        (P2, "2000-01-01"): "2025-03-31",
        (P2, "2025-04-01"): None,
    }


def test_a_catalogue_reverted_by_resending_an_earlier_file_takes_effect_from_its_date(wh):
    january = catalogue_csv({P1: 1, P2: 1})
    wh.drop("catalogue/thutuc_20250101.csv", january)
    wh.drop(
        "catalogue/cungcap_20250101.csv", provision_csv([(P1, 4, "20240601000000"), (P2, 3, "")])
    )
    wh.drop("catalogue/thutuc_20250201.csv", catalogue_csv({P1: 0, P2: 1}))  # a mistake
    wh.run()
    wh.drop("catalogue/thutuc_20250301.csv", january)  # reverted: January's bytes re-sent
    wh.run()
    status, read, loaded, _dup, repeats = wh.manifest("thutuc_20250301.csv")
    assert (status, read, loaded) == ("loaded", 2, 2)
    assert repeats is not None  # it says which file it repeats
    eligible = wh.con.execute(
        """select cast(valid_from as varchar), cast(valid_to as varchar), eligible_full_process
           from core.dim_procedure where procedure_code = ? order by valid_from""",
        [P1],
    ).fetchall()
    assert eligible == [
        ("2000-01-01", "2025-01-31", True),
        ("2025-02-01", "2025-02-28", False),
        ("2025-03-01", None, True),
    ]
    # T01 counts P1 as eligible again from March, not in February
    assert wh.value("T01", "2025-02") == (0, 1)
    assert wh.value("T01", "2025-03") == (1, 2)


def test_the_same_snapshot_resent_for_the_same_day_is_a_duplicate(wh):
    wh.drop("catalogue/thutuc_20250101.csv", catalogue_csv({P1: 1}))
    wh.drop("catalogue/cungcap_20250101.csv", provision_csv([(P1, 4, "20240601000000")]))
    wh.run()
    wh.drop("catalogue/THUTUC_20250101.CSV", catalogue_csv({P1: 1}))  # the same day, re-sent
    wh.run()
    rows = wh.con.execute(
        "select status, rows_read from meta.manifest where name = 'THUTUC_20250101.CSV'"
    ).fetchall()
    assert rows == [("duplicate", 1)]
    assert wh.con.execute("select count(*) from stg.dvc_procedure").fetchone() == (1,)


def test_an_empty_daily_file_counts_as_that_days_delivery(wh):
    wh.drop("catalogue/thutuc_20250101.csv", catalogue_csv({P1: 1}))
    wh.drop("catalogue/cungcap_20250101.csv", provision_csv([(P1, 4, "20240601000000")]))
    wh.drop("hoso/2025/hoso_20250103.jsonl", dossier(1, "20250103", P1) + "\n")
    wh.drop("hoso/2025/hoso_20250104.jsonl", "")  # a day without dossiers
    wh.drop("hoso/2025/hoso_20250105.jsonl", "")  # another: the same (empty) bytes
    wh.drop("hoso/2025/hoso_20250106.jsonl", dossier(2, "20250106", P1) + "\n")
    wh.run()
    for name in ("hoso_20250104.jsonl", "hoso_20250105.jsonl"):
        assert wh.manifest(name) == ("loaded", 0, 0, 0, None), name
    delivered = wh.con.execute(
        """select cast(period_start as varchar), status from core.fct_completeness
           where source = 'dvc' and period_start between date '2025-01-03' and date '2025-01-06'
           order by period_start"""
    ).fetchall()
    assert [s for _, s in delivered] == [delivered[0][1]] * 4
    assert delivered[0][1] != "missing"


def test_an_events_file_resent_under_another_name_loads_no_row_twice(wh):
    wh.drop("catalogue/thutuc_20250101.csv", catalogue_csv({P1: 1}))
    wh.drop("catalogue/cungcap_20250101.csv", provision_csv([(P1, 4, "20240601000000")]))
    day = dossier(1, "20250310", P1) + "\n" + dossier(2, "20250310", P1) + "\n"
    wh.drop("hoso/2025/hoso_20250310.jsonl", day)
    wh.run()
    wh.drop("hoso/2025/hoso_20250311.jsonl", day)  # the same file re-sent the next day
    wh.run()
    status, read, loaded, duplicate, _ = wh.manifest("hoso_20250311.jsonl")
    assert (status, read, loaded, duplicate) == ("duplicate", 2, 0, 2)
    assert wh.con.execute("select count(*) from stg.dvc_dossier").fetchone() == (2,)
    assert wh.con.execute("select count(*) from core.fct_dossier").fetchone() == (2,)
    assert wh.value("T02", "2025-03") == (2, 2)


def history(wh) -> list[tuple]:
    return wh.con.execute(
        """select indicator_id, strftime(period_start, '%Y-%m'), old_numerator, old_denominator,
                  new_numerator, new_denominator, old_run_id, new_run_id, reason
           from audit.indicator_history
           where period_type = 'month' and admin_code = ? order by all""",
        [COMMUNE],
    ).fetchall()


def test_indicator_history_records_a_changed_value_and_nothing_when_nothing_changes(wh):
    wh.drop("catalogue/thutuc_20250101.csv", catalogue_csv({P1: 1, P2: 1}))
    wh.drop(
        "catalogue/cungcap_20250101.csv", provision_csv([(P1, 4, "20240601000000"), (P2, 3, "")])
    )
    wh.drop("hoso/2025/hoso_20250310.jsonl", dossier(1, "20250310", P1) + "\n")
    wh.run()
    wh.run()  # nothing new: nothing changed
    assert history(wh) == []
    # a dossier of March delivered while March is still being delivered
    wh.drop("hoso/2025/hoso_20250320.jsonl", dossier(2, "20250320", P2) + "\n")
    wh.run()
    assert history(wh) == [
        ("T02", "2025-03", 1, 1, 1, 2, "r2", "r3", "new data for an open period"),
    ]
    # in May, the March dossier of P2 is re-sent refused at reception (status 3): no longer received
    refused = json.loads(dossier(2, "20250320", P2))
    refused["TrangThaiHoSo"] = 3
    wh.drop("hoso/2025/hoso_20250505.jsonl", json.dumps(refused, ensure_ascii=False) + "\n")
    wh.run()
    corrected = [h for h in history(wh) if h[7] == "r4"]
    assert corrected == [
        ("T02", "2025-03", 1, 2, 1, 1, "r3", "r4", "corrected by hoso_20250505.jsonl"),
    ]


def test_indicator_history_says_when_a_definition_changed(wh):
    wh.drop("catalogue/thutuc_20250101.csv", catalogue_csv({P1: 1, P2: 1}))
    wh.drop(
        "catalogue/cungcap_20250101.csv", provision_csv([(P1, 4, "20240601000000"), (P2, 3, "")])
    )
    wh.run()
    t01 = next(i for i in load_catalogue(CATALOGUE_FILES) if i.id == "T01")
    # the same indicator counting every provided procedure, eligible or not
    redefined = t01.model_copy(update={"denominator": "count(*)", "numerator": "count(*)"})
    compute_indicators(wh.con, [redefined], "r2")
    reasons = {h[8] for h in history(wh) if h[0] == "T01"}
    assert reasons == {"definition changed"}


def test_an_older_warehouse_keeps_its_values_by_run_under_their_new_name(tmp_path):
    con = connect(tmp_path / "old.duckdb")
    con.execute("create schema audit")
    con.execute(
        "create table audit.indicator_history (run_id varchar, indicator_id varchar, value double)"
    )
    con.execute("insert into audit.indicator_history values ('r0', 'T01', 50)")
    ensure_schema(con)
    assert con.execute("select * from audit.indicator_value_by_run").fetchall() == [
        ("r0", "T01", 50.0)
    ]
    assert con.execute("select count(*) from audit.indicator_history").fetchone() == (0,)
    ensure_schema(con)  # idempotent
    con.close()
