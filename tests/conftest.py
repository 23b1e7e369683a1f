from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# no background copy for the next night after each test's publish (the tests of
# warehouse/spare.py turn it on where it is the subject)
os.environ.setdefault("CHISO_SPARE_BUILD", "0")

from flows import registry  # noqa: E402
from sources.simulate import simulator  # noqa: E402
from transforms.core import models  # noqa: E402
from transforms.staging.run import load_reference  # noqa: E402
from warehouse.build import connect, ensure_schema  # noqa: E402

SOURCES = registry.sources()  # name -> Source (connector declaration)
MODEL_FOLDERS = registry.model_folders()  # every core model folder, shared first
CATALOGUE_FILES = registry.catalogue_files()  # every source's indicator catalogue


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    """One temporary Prefect server (and result storage) for every end-to-end test of the session."""
    home = tmp_path_factory.mktemp("prefect")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PREFECT_HOME", str(home))
        mp.setenv("PREFECT_RESULTS_LOCAL_STORAGE_PATH", str(home / "storage"))
        mp.setenv("PREFECT_RESULTS_PERSIST_BY_DEFAULT", "true")
        from prefect.testing.utilities import prefect_test_harness

        with prefect_test_harness(server_startup_timeout=90):
            from prefect.settings import PREFECT_API_URL

            yield PREFECT_API_URL.value()


def published(state) -> bool:
    """The nightly published: Completed, or Failed with "attention: published, but …" (unreadable
    files or quarantine above threshold: flows/nightly.py)."""
    return state.is_completed() or (state.message or "").startswith("attention: published")


def staging(name: str):
    """(Source, staging steps) of a registered source: the arguments staging functions take."""
    return registry.SLICES[name].source, registry.SLICES[name].staging


def simulate_source(name: str, landing, start, end, **kwargs):
    """Run a registered source's simulator (as seeding the embedded default does)."""
    return simulator(registry.SLICES[name].simulator)(landing, start, end, **kwargs)


def build_model(con, name: str) -> None:
    con.execute(f"create or replace table {name} as {models(MODEL_FOLDERS)[name]}")


@pytest.fixture
def geo_db(tmp_path):
    """A warehouse with the schema, the reference lists, dim_unit and dim_agency."""
    con = connect(tmp_path / "t.duckdb")
    ensure_schema(con)
    load_reference(con)
    build_model(con, "core.dim_unit")
    build_model(con, "core.dim_agency")
    yield con
    con.close()


def make_periods(con, months: list[str]) -> None:
    """core.dim_period for the given months ('2025-01', ...), as the core model would build it."""
    con.execute("delete from meta.manifest")
    for i, m in enumerate(months):
        con.execute(
            "insert into meta.manifest (file_id, source, dataset, url, name, sha256, file_date, status, run_id, extracted_at) "
            "values (?, 't', 't', ?, ?, 'x', ?, 'loaded', 'r', now())",
            [f"f{i}", f"u{i}", f"n{i}", f"{m}-15"],
        )
    build_model(con, "core.dim_period")


TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def encode_cp1258(text: str) -> bytes:
    """Text as a Windows-1258 export writes it: precomposed letters where the code page has them, tone marks combining."""
    import unicodedata

    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        base = decomposed[0]
        tones = ""
        for mark in decomposed[1:]:
            if mark in TONE_MARKS:
                tones += mark
            else:
                base = unicodedata.normalize("NFC", base + mark)
        out += (base + tones).encode("cp1258")
    return bytes(out)


def stage_landing(tmp_path: Path, source: str, landing: Path):
    """A build file with the reference lists, and ``source``'s files in ``landing`` extracted and staged.

    Returns (connection, stage summary), as the nightly's extract and stage steps leave them.
    """
    from sources.extract import extract
    from transforms.staging.run import stage_source
    from warehouse import build as wh

    con = wh.connect(wh.prepare_build(tmp_path / "pub.duckdb", tmp_path / "build.duckdb"))
    load_reference(con)
    extract(con, SOURCES[source], str(landing), tmp_path / "raw", "r1")
    return con, stage_source(con, *staging(source), b"k", "r1")


def assert_not_stored(con, secrets: set[str]) -> None:
    """None of ``secrets`` (IDs, names, phones, addresses as sent) appears in any stored table."""
    secrets = {s for s in secrets if s}
    assert secrets
    for schema, table in con.execute(
        "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'"
    ).fetchall():
        text = repr(con.execute(f'select * from "{schema}"."{table}"').fetchall())
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{schema}.{table} holds {leaked[:3]}"


def assert_core_builds_before_the_first_delivery(
    tmp_path: Path, names: list[str], tables: list[str]
) -> None:
    """Empty staging tables made from the readers' columns (as staging makes them for a dataset
    with no file yet) let the core SQL build, empty."""
    from transforms.staging.run import ensure_tables
    from transforms.staging.step import StageContext
    from warehouse import build as wh

    con = wh.connect(wh.prepare_build(tmp_path / "pub.duckdb", tmp_path / "build.duckdb"))
    load_reference(con)
    for name in names:
        ensure_tables(con, *staging(name), StageContext(con, b"k"), "r1")
    sql = models(MODEL_FOLDERS)
    for table in ["core.dim_unit", *tables]:
        con.execute(f"create or replace table {table} as {sql[table]}")
    for table in tables:
        assert con.execute(f"select count(*) from {table}").fetchone() == (0,), table
    con.close()


def files(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` by relative path, with its bytes (for byte-identical comparisons)."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def all_suites(quality_file=None) -> dict:
    """Suite name -> Suite, every suite of the registry with the shipped thresholds."""
    from expectations.run import load_thresholds
    from expectations.suites import unique_by_name

    return unique_by_name(
        registry.suites(load_thresholds(registry.threshold_files(), quality_file))
    )


def lineage() -> dict[str, set[str]]:
    """Core tables and run views -> the tables each reads (what the gate follows)."""
    from transforms import core

    return {
        **core.lineage(MODEL_FOLDERS),
        **core.run_views_lineage(registry.run_view_folders()),
    }


def run_all_checks(build, gx_root=None):
    """The validate step of the nightly on a build file: every suite whose table exists."""
    from expectations.run import run_checks

    return run_checks(build, list(all_suites().values()), gx_root)


def inject(landing, rate, **kwargs):
    """The fault injector on a landing zone, seeing rows through the real staging (as seeding does)."""
    from flows.seed import RealStaging
    from sources.faults import inject_faults

    return inject_faults(landing, rate, SOURCES, RealStaging(), **kwargs)


def build_small_warehouse(root: Path, start, end, scale: float) -> Path:
    """A published warehouse of every source, simulated small, built as the nightly builds it
    (extract, stage, core, marts, describe, publish) without Prefect and without the GX step."""
    from sources.extract import extract, register_sources
    from sources.simulate import simulate_landing
    from transforms import core
    from transforms.describe import describe_warehouse
    from transforms.marts import build_marts
    from transforms.marts.indicators import load_catalogue
    from transforms.staging.run import stage_source
    from warehouse import build as wh
    from warehouse.audit import finish_run, start_run

    landing, published, run_id = root / "landing", root / "chiso.duckdb", "small-run"
    simulate_landing(
        {s.name: s.simulator for s in registry.SLICES.values()}, landing, start, end, scale
    )
    build = wh.prepare_build(published, root / "build.duckdb")
    with wh.session(build) as con:
        start_run(con, run_id, None)
        load_reference(con)
        register_sources(con, SOURCES)
    for part in registry.SLICES.values():
        with wh.session(build) as con:
            extract(con, part.source, str(landing), root / "raw", run_id)
            stage_source(con, part.source, part.staging, b"test-key", run_id)
    catalogue = load_catalogue(CATALOGUE_FILES)
    with wh.session(build) as con:
        core.build(con, MODEL_FOLDERS, registry.run_view_folders(), run_id)
        build_marts(con, catalogue, run_id, {})
        describe_warehouse(
            con,
            catalogue,
            lineage(),
            MODEL_FOLDERS,
            registry.run_view_folders(),
            SOURCES,
            {s.name: s.staging for s in registry.SLICES.values()},
        )
        finish_run(con, run_id, {})
    return wh.publish(build, published, None)


@pytest.fixture(scope="session")
def small_warehouse(tmp_path_factory) -> Path:
    """A published warehouse of all sources for 2025 at a small scale (shared by the analysts' tests)."""
    from datetime import date

    return build_small_warehouse(
        tmp_path_factory.mktemp("small_warehouse"), date(2025, 1, 1), date(2025, 12, 31), 0.01
    )
