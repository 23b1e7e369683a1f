"""A workbook format reads one named sheet: a second sheet carrying the same table is an error naming
both, never a silent choice (a "Sheet1 (2)" working copy once replaced Q1 GRDP 14,250 with 15,675)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from conftest import stage_landing
from openpyxl import load_workbook

from sources.base import SourceFileError
from sources.ict import constants as ict
from sources.ict.connector import read_systems
from sources.stats import connector
from sources.stats import constants as c
from sources.stats.simulator import simulate as simulate_stats

QUARTER = "stats/quy/GRDP_KTS_Q1_2025_20250406.xlsx"


@pytest.fixture
def landing(tmp_path):
    root = tmp_path / "landing"
    simulate_stats(root, date(2025, 1, 1), date(2025, 4, 30), scale=0.02, seed=7)
    return root


def grdp_q1(path) -> str:
    raw = connector.read_grdp_table(path)
    (value,) = [
        r["value"]
        for r in raw.iter_rows(named=True)
        if r["measure_code"] == "1" and r["period"] == "2025-Q1"
    ]
    return value


def with_working_copy(path, rename_original: str | None = None) -> None:
    """What an officer's Excel does: copy the sheet ("Sheet1 (2)") and raise the figures in the copy."""
    wb = load_workbook(path)
    original = wb[c.SHEET]
    if rename_original:
        original.title = rename_original
    copy = wb.copy_worksheet(original)
    copy.title = "Sheet1 (2)"
    for row in copy.iter_rows():
        for cell in row:
            if isinstance(cell.value, int | float) and cell.value > 10_000:
                cell.value = round(cell.value * 1.1, 1)
    wb.save(path)


@pytest.mark.parametrize("original", [c.SHEET, "Sheet1"])
def test_a_second_sheet_with_the_table_is_an_error_naming_both(tmp_path, landing, original):
    path = landing / QUARTER
    before = grdp_q1(path)
    with_working_copy(path, rename_original=None if original == c.SHEET else original)
    with pytest.raises(SourceFileError) as err:
        connector.read_grdp_table(path)
    assert f"sheets '{original}', 'Sheet1 (2)'" in str(err.value)
    assert "will not guess" in str(err.value)

    con, summary = stage_landing(tmp_path, "stats", landing)
    status, error = con.execute(
        "select status, error from meta.manifest where name = ?", [path.name]
    ).fetchall()[0]
    assert status == "error" and f"sheets '{original}', 'Sheet1 (2)'" in error
    assert error.startswith(path.name)  # named by its landing name
    staged = con.execute(
        "select count(*) from stg.stats_grdp_quarterly where _file_id = "
        "(select file_id from meta.manifest where name = ?)",
        [path.name],
    ).fetchall()
    assert staged == [(0,)]
    assert summary.files_failed == 1 and summary.files > 0  # the other releases loaded
    # nothing of the copy's 10 % higher figures reached the warehouse
    q1 = con.execute(
        "select distinct value from stg.stats_grdp_quarterly where measure = 'grdp' "
        "and year = 2025 and quarter = 1"
    ).fetchall()
    assert q1 in ([], [(float(before),)])
    con.close()


def test_the_named_sheet_is_read_when_the_other_sheets_hold_no_table(tmp_path, landing):
    path = landing / QUARTER
    wb = load_workbook(path)
    notes = wb.create_sheet("Ghi chú")
    notes["A1"] = "Số liệu sơ bộ, Chi cục Thống kê tỉnh"
    wb.save(path)
    raw = connector.read_grdp_table(path)
    assert set(raw["sheet"]) == {c.SHEET}


def test_an_inventory_with_a_copied_sheet_is_an_error_naming_both(tmp_path):
    from sources.ict.simulator import simulate as simulate_ict

    simulate_ict(tmp_path, date(2025, 1, 1), date(2025, 4, 30), scale=0.02, seed=7)
    path = sorted(tmp_path.rglob("DanhMucHTTT_*.xlsx"))[0]
    assert read_systems(path).height > 0
    wb = load_workbook(io.BytesIO(path.read_bytes()))
    wb.copy_worksheet(wb[ict.SHEET]).title = "Danh mục HTTT (2)"
    wb.save(path)
    with pytest.raises(SourceFileError, match=r"sheets 'Danh mục HTTT', 'Danh mục HTTT \(2\)'"):
        read_systems(path)
