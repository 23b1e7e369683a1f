"""The fault injector (``sources/faults.py``): every declared fault gets its rule, and only that row moves."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from conftest import SOURCES, encode_cp1258, inject, simulate_source, staging

from flows.seed import RealStaging
from sources.base import read_csv_text
from sources.extract import extract
from sources.faults import (
    FAULTS,
    KINDS,
    LEDGER,
    Fault,
    StyledDate,
    apply_faults,
    corrupt_csv,
    eligible_rows,
)
from transforms.staging.run import load_reference, stage_source
from warehouse import build as wh

# a small landing in which every source has files: (start, end) per source, scale 0.02
RANGES = {
    "dvc": (date(2025, 1, 6), date(2025, 1, 19)),
    "docs": (date(2024, 12, 1), date(2025, 1, 31)),
    "tax": (date(2024, 12, 1), date(2025, 1, 31)),
    "enterprise": (date(2024, 12, 1), date(2024, 12, 31)),
    "certificates": (date(2025, 1, 1), date(2025, 1, 31)),
    "population": (date(2025, 3, 1), date(2025, 4, 30)),
    "health": (date(2025, 1, 1), date(2025, 1, 31)),
    "education": (date(2025, 1, 1), date(2025, 1, 31)),
    "telecom": (date(2025, 1, 1), date(2025, 4, 30)),
    "rankings": (date(2025, 1, 1), date(2025, 1, 31)),
    "stats": (date(2025, 1, 1), date(2025, 1, 31)),
    "ict": (date(2025, 1, 1), date(2025, 1, 31)),
}
FAULTY_SOURCES = sorted({s for s, _ in FAULTS})


@pytest.fixture(scope="module")
def clean_landing(tmp_path_factory) -> Path:
    landing = tmp_path_factory.mktemp("clean") / "landing"
    for name, (start, end) in RANGES.items():
        simulate_source(name, landing, start, end, scale=0.02, seed=7)
    return landing


@pytest.fixture
def landing(tmp_path, clean_landing) -> Path:
    """A private copy of the clean landing, to corrupt."""
    return Path(shutil.copytree(clean_landing, tmp_path / "landing"))


def stage(landing: Path, tmp: Path, source: str) -> tuple[set[tuple], dict[str, tuple]]:
    """Extract and stage one source as the nightly does: (quarantine rows, manifest counts per file)."""
    tmp.mkdir(parents=True)
    build = wh.prepare_build(tmp / "pub.duckdb", tmp / "build.duckdb")
    con = wh.connect(build)
    try:
        load_reference(con)
        extract(con, SOURCES[source], str(landing), tmp / "raw", "r1")
        stage_source(con, *staging(source), b"k", "r1")
        quarantine = set(
            con.execute("select dataset, file_name, row, rule from audit.quarantine").fetchall()
        )
        manifest = {
            r[0]: r[1:]
            for r in con.execute(
                "select name, rows_read, rows_loaded, rows_quarantined, rows_duplicate from meta.manifest"
            ).fetchall()
        }
    finally:
        con.close()
    return quarantine, manifest


@pytest.fixture(scope="module")
def clean_staged(clean_landing, tmp_path_factory) -> dict[str, tuple[set[tuple], dict[str, tuple]]]:
    tmp = tmp_path_factory.mktemp("clean-staged")
    return {s: stage(clean_landing, tmp / s, s) for s in FAULTY_SOURCES}


def expected_quarantine(ledger: pl.DataFrame, source: str) -> set[tuple]:
    return {
        (r["dataset"], r["file_name"], r["row"], r["rule"])
        for r in ledger.filter(pl.col("source") == source).iter_rows(named=True)
    }


def assert_only_the_ledger_moved(clean: tuple, faulty: tuple, expected: set[tuple]) -> None:
    """Quarantine = clean quarantine + exactly the ledger; every other row kept its fate."""
    (q_clean, m_clean), (q_faulty, m_faulty) = clean, faulty
    assert q_clean <= q_faulty
    assert q_faulty - q_clean == expected
    per_file = Counter(name for _, name, _, _ in expected)
    for name, (read, loaded, quarantined, duplicate) in m_clean.items():
        assert m_faulty[name] == (
            read,
            loaded - per_file[name],
            quarantined + per_file[name],
            duplicate,
        ), name


@pytest.mark.parametrize("source", FAULTY_SOURCES)
def test_every_declared_fault_gets_its_rule_when_staged(source, landing, tmp_path, clean_staged):
    eligible, _ = eligible_rows(landing, SOURCES[source], RealStaging())
    ledger = []
    for (s, dataset), faults in FAULTS.items():
        if s != source:
            continue
        rows = eligible[dataset].rows()
        assert len(rows) >= len(faults), f"{source}.{dataset}: too few rows to try every fault"
        step = len(rows) // len(faults)  # spread over the files
        plan = [(*rows[i * step], fault) for i, fault in enumerate(faults)]
        ledger += apply_faults(landing, SOURCES[source], dataset, plan)
    ledger_df = pl.DataFrame(ledger)
    assert_only_the_ledger_moved(
        clean_staged[source],
        stage(landing, tmp_path / "st", source),
        expected_quarantine(ledger_df, source),
    )


@pytest.mark.slow  # injects twice into a full landing, ~30 s: `make test-slow`
def test_injection_is_deterministic_and_takes_the_rate_of_every_dataset(clean_landing, tmp_path):
    copies = [Path(shutil.copytree(clean_landing, tmp_path / f"l{i}")) for i in range(3)]
    first = inject(copies[0], 0.05)
    assert first.equals(inject(copies[1], 0.05))
    assert not first.equals(inject(copies[2], 0.05, seed=191))
    for f in first["file"].unique():
        assert (copies[0] / f).read_bytes() == (copies[1] / f).read_bytes()

    counts = {(s, d): n for s, d, n in first.group_by("source", "dataset").len().iter_rows()}
    total_rows = total_faults = 0
    for source, dataset in FAULTS:
        files = list((clean_landing / source).glob(SOURCES[source].datasets[dataset]))
        rows = sum(SOURCES[source].readers[dataset](f).height for f in files)
        assert counts.get((source, dataset), 0) == round(0.05 * rows), (source, dataset, rows)
        total_rows += rows
        total_faults += counts.get((source, dataset), 0)
    assert total_faults > 300 and abs(total_faults / total_rows - 0.05) < 0.002
    assert set(first["kind"]) == set(KINDS)


def test_the_ledger_is_written_and_a_second_call_changes_nothing(landing):
    ledger = inject(landing, 0.05, sources=["tax", "dvc"])
    written = pl.read_csv(landing / LEDGER, schema=ledger.schema)
    assert written.equals(ledger) and set(ledger["source"]) == {"tax", "dvc"}
    digests = {f: hashlib.sha256((landing / f).read_bytes()).hexdigest() for f in ledger["file"]}
    assert inject(landing, 0.05, sources=["tax", "dvc"]).equals(ledger)
    assert {
        f: hashlib.sha256((landing / f).read_bytes()).hexdigest() for f in ledger["file"]
    } == digests
    more = inject(landing, 0.05, sources=["docs"])  # another source: the earlier rows stay
    assert more.filter(pl.col("source") != "docs").equals(ledger)
    assert set(more["source"]) == {"tax", "dvc", "docs"}


def test_a_resimulated_file_is_corrupted_again_the_same_way(landing):
    first = inject(landing, 0.05, sources=["tax"])
    corrupted = {f: (landing / f).read_bytes() for f in first["file"]}
    start, end = RANGES["tax"]
    simulate_source("tax", landing, start, end, scale=0.02, seed=7)  # the clean files again
    assert all((landing / f).read_bytes() != data for f, data in corrupted.items())
    again = inject(landing, 0.05, sources=["tax"])
    assert again.equals(first)
    assert all((landing / f).read_bytes() == data for f, data in corrupted.items())


def test_sources_and_kinds_choose_what_is_corrupted(clean_landing, tmp_path):
    def on_copy(name: str, **kwargs) -> pl.DataFrame:
        return inject(Path(shutil.copytree(clean_landing, tmp_path / name)), 0.1, **kwargs)

    ratings = on_copy("a", sources=["dvc.rating"])
    assert set(ratings["dataset"]) == {"rating"} and ratings.height > 10
    units = on_copy("b", kinds=["unknown_unit"], sources=["tax", "rankings", "population"])
    assert set(units["kind"]) == {"unknown_unit"} and set(units["source"]) == {
        "tax",
        "rankings",
        "population",
    }
    assert set(units["rule"]) == {"unknown_unit", "unknown_province"}
    ids = on_copy("c", kinds=["invalid_applicant_id"], sources=["dvc.dossier", "stats", "ict"])
    assert set(ids["rule"]) == {"invalid_applicant_id"} and ids.height > 10


def test_workbooks_and_the_catalogue_are_never_touched(landing):
    untouched = [p for s in ["stats", "ict"] for p in (landing / s).rglob("*.xlsx")]
    untouched += list((landing / "dvc" / "catalogue").glob("*.csv"))
    before = {p: p.read_bytes() for p in untouched}
    ledger = inject(landing, 0.2)
    assert not {"stats", "ict"} & set(ledger["source"])
    assert not {"procedure", "provision"} & set(ledger["dataset"])
    assert all(p.read_bytes() == data for p, data in before.items())


def test_unknown_names_and_rates_are_refused(landing):
    for kwargs in [
        {"kinds": ["no_such_kind"]},
        {"sources": ["nowhere"]},
        {"sources": ["dvc.nothing"]},
    ]:
        with pytest.raises(ValueError):
            inject(landing, 0.05, **kwargs)
    with pytest.raises(ValueError):
        inject(landing, 1.5)
    assert inject(landing, 0.0).height == 0
    assert not (landing / LEDGER).exists()


def test_an_out_of_range_date_is_written_the_way_the_field_writes_dates():
    day = StyledDate(date(1900, 1, 1))
    assert day("20250101080050") == "19000101000000"  # the national portal's yyyyMMddHHmmss
    assert day("2025-01-31 00:00:00") == "1900-01-01 00:00:00"
    assert day("2025-01-31") == "1900-01-01"
    assert day("20250131") == "19000101"
    assert day("31/01/2025") == day(None) == day("") == "01/01/1900"


def test_a_corrupted_dossier_is_its_dossiers_only_record_and_has_no_rating(landing, clean_landing):
    ledger = inject(landing, 0.05, sources=["dvc"]).filter(pl.col("dataset") == "dossier")
    records = [
        json.loads(line)
        for f in (clean_landing / "dvc" / "hoso").rglob("*.jsonl")
        for line in f.read_text(encoding="utf-8").splitlines()
    ]
    per_dossier = Counter(r["MaHoSo"] for r in records)
    rated = {
        r["MaHoSo"]
        for f in (clean_landing / "dvc" / "danhgia").rglob("*.csv")
        for r in read_csv_text(f, ["MaHoSo"]).iter_rows(named=True)
    }
    assert ledger.height > 10
    for row in ledger.iter_rows(named=True):
        original = (
            (clean_landing / row["file"]).read_text(encoding="utf-8").splitlines()[row["row"] - 1]
        )
        dossier = json.loads(original)["MaHoSo"]
        assert per_dossier[dossier] == 1 and dossier not in rated


def _lines(data: bytes) -> list[bytes]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return [line.encode() for line in data.decode("utf-16").split("\n")]
    return data.split(b"\n")


def test_files_keep_their_encoding_separator_and_untouched_lines(landing, clean_landing):
    ledger = inject(landing, 0.05)
    formats = Counter()
    for f, rows in ledger.group_by("file").agg("row").iter_rows():
        before, after = (clean_landing / f).read_bytes(), (landing / f).read_bytes()
        assert (
            before[:2] == after[:2] and before[:3] == after[:3]
        )  # the same byte-order mark, or none
        old, new = _lines(before), _lines(after)
        header = 0 if f.endswith(".jsonl") else 1
        assert len(old) == len(new)
        assert {i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b} == {
            r - 1 + header for r in rows
        }
        formats[(before[:2], b"\r\n" in before)] += 1
    assert len(formats) >= 3  # plain UTF-8, UTF-8 with BOM and CRLF, UTF-16 were all exercised


def test_a_windows_1258_file_with_a_quoted_line_break_keeps_its_bytes(tmp_path):
    text = (
        'MaXa;TenXa;Ghi chú\r\n31318;Phường I;"dòng một\r\ndòng hai"\r\n'
        "31321;Phường III;bình thường\r\n31324;Phường IV;Hậu Giang\r\n"
    )
    path = tmp_path / "x.csv"
    path.write_bytes(encode_cp1258(text))
    before = path.read_bytes()
    written = corrupt_csv(path, {2: Fault("unknown_unit", "MaXa", "unknown_unit", "99999")})
    assert written == {2: "99999"}
    after = path.read_bytes()
    assert after.replace(b"99999;Ph", b"31321;Ph") == before
    df = read_csv_text(path, ["MaXa", "TenXa", "Ghi chú"], separator=";")
    assert df["MaXa"].to_list() == ["31318", "99999", "31324"]
    assert df["TenXa"].to_list()[1] == "Phường III"


def test_seeding_corrupts_what_it_simulates_when_asked(tmp_path):
    from flows.seed import seed_landing
    from flows.settings import load_settings

    def settings(landing, **extra):
        env = {
            "CHISO_HOME": str(tmp_path / "home"),
            "CHISO_LANDING_URL": str(landing),
            "CHISO_SIM_START": "2025-01-01",
            "CHISO_SIM_END": "2025-03-31",
            "CHISO_SIM_SCALE": "0.02",
            "CHISO_SIM_FAULT_RATE": "0.05",
            **extra,
        }
        return load_settings(env)

    landing = tmp_path / "landing"
    seed_landing(settings(landing), ["tax", "stats"])
    ledger = pl.read_csv(landing / LEDGER)
    rows = sum(
        read_csv_text(f, ["MaCuaHang"], separator=";").height
        for f in (landing / "tax").rglob("*.csv")
    )
    assert set(ledger["source"]) == {"tax"} and ledger.height == round(0.05 * rows)
    marker = json.loads((landing / "tax" / ".simulated.json").read_text())
    assert marker[-1]["fault_rate"] == 0.05
    assert seed_landing(settings(landing), ["tax", "stats"]) == {}
    with pytest.raises(ValueError):
        seed_landing(settings(tmp_path / "other", CHISO_SIM_FAULT_KINDS="no_such_kind"), ["tax"])
    assert not (tmp_path / "other").exists()
