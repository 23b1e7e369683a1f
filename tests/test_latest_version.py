"""``core.fct_dossier`` keeps each dossier's latest version, as a window ordering its versions
by (_file_date, status, _file_id, _row), all descending with nulls last, would keep it.

The model takes the largest of one number per version (``transforms/core/dvc/fct_dossier.sql``):
versions drawn to tie on every part but the last, with missing days and statuses, must give
the row the window gives; a line number beyond the number's bits stops the build, named.
"""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import polars as pl
import pytest

MODEL = Path(__file__).resolve().parents[1] / "transforms" / "core" / "dvc" / "fct_dossier.sql"

STAGED = """create table stg.dvc_dossier (
    dossier_id varchar, procedure_code varchar, agency_code varchar, applicant_unit_code varchar,
    channel tinyint, status tinyint, applicant_type tinyint, applicant_hash varchar,
    submitted_at timestamp, received_at timestamp, due_at timestamp, finished_at timestamp,
    returned_at timestamp, refused_at timestamp, result_form tinyint,
    vneid_authenticated boolean, has_digitised_components boolean, paid_online boolean,
    data_from_national_db boolean, national_db_code varchar, synced_to_portal boolean,
    n_documents integer, n_documents_digitised integer, n_result_documents integer,
    n_result_documents_linked integer, n_fees integer, fee_total double,
    _file_id varchar, _row bigint, _file_date date)"""


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema stg; create schema core")
    con.execute(STAGED)
    con.execute(
        "create table core.dim_agency (agency_code varchar, unit_code varchar, agency_level varchar)"
    )
    con.execute(
        """create table core.fct_provision (agency_code varchar, procedure_code varchar,
           service_level tinyint, full_process_since date, valid_from date, valid_to date)"""
    )
    con.execute(
        """create table core.dim_procedure (procedure_code varchar,
           requires_result_document boolean, valid_from date, valid_to date)"""
    )
    return con


def _versions(seed: int, n: int = 4000) -> list[tuple]:
    """Versions of 300 dossiers, drawn from few days, statuses, files and lines (so that they
    tie), a few without a day or a status; ``fee_total`` numbers the version. A line of a file
    is one version (as staged)."""
    draw = random.Random(seed)
    files = [
        "0000000000000000",
        "00000000000000ff",
        "7fffffffffffffff",
        "ffffffffffffffff",
        "a1b2c3d4e5f60718",
        "8000000000000000",
        "0fffffffffffffff",
        "c0ffee0000000001",
    ]
    days = [
        None,
        "2025-06-30",
        "2025-06-30",
        "2026-01-02",
        "2026-01-02",
        "2024-12-31",
        None,
        "2025-06-30",
    ]  # a file's day: some files of the same day
    lines = [1, 2, 3, 70_000, (1 << 37) - 1_000_000]
    places = draw.sample([(f, line) for f in files for line in lines], len(files) * len(lines))
    rows = []
    for number, (file_id, line) in enumerate(places * (n // len(places))):
        line += number // len(places) * 1_000  # (each file's lines once)
        day = days[files.index(file_id)]  # a file has one day
        status = draw.choice([None, 1, 2, 9, 10])
        rows.append((f"D{draw.randrange(300)}", status, file_id, line, day, float(number)))
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_latest_version_is_the_windows(con, seed):
    versions = pl.DataFrame(  # noqa: F841 - read by name in the statement below
        _versions(seed),
        schema={
            "dossier_id": pl.String,
            "status": pl.Int8,
            "_file_id": pl.String,
            "_row": pl.Int64,
            "_file_date": pl.String,
            "fee_total": pl.Float64,
        },
        orient="row",
    )
    con.execute(
        """insert into stg.dvc_dossier by name
           select * replace (_file_date::date as _file_date),
                  timestamp '2025-06-01 08:00:00' as submitted_at, 2 as channel
           from versions"""
    )
    model = {
        r[0]: r[1]
        for r in con.execute(
            f"select dossier_id, fee_total from ({MODEL.read_text(encoding='utf-8')})"
        ).fetchall()
    }
    window = dict(
        con.execute(
            """select dossier_id, fee_total from stg.dvc_dossier
               qualify row_number() over (
                   partition by dossier_id
                   order by _file_date desc nulls last, status desc nulls last,
                            _file_id desc nulls last, _row desc nulls last) = 1"""
        ).fetchall()
    )
    assert len(window) == 300
    assert model == window


def test_a_line_beyond_the_numbers_bits_stops_the_build(con):
    con.execute(
        """insert into stg.dvc_dossier (dossier_id, status, _file_id, _row, _file_date)
           values ('D1', 2, '00000000000000aa', 137438953472, date '2025-03-01')"""
    )
    with pytest.raises(duckdb.Error, match=r"beyond what orders its versions: 2025-03-01, line"):
        con.execute(f"select * from ({MODEL.read_text(encoding='utf-8')})").fetchall()
