"""What leaves the warehouse: the workbook officials open, CSV with a BOM, Parquet; read-only."""

from __future__ import annotations

import codecs

import duckdb
import openpyxl
import polars as pl
import pytest

from transforms.marts.indicators import AREA_NAME
from warehouse.export import SCORECARD_HEADERS, ExportError, export


@pytest.fixture(scope="module")
def exported(small_warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    return export(small_warehouse, out), small_warehouse


def test_workbook_scorecard_equals_the_warehouse_with_vietnamese_headers_and_colours(exported):
    done, warehouse = exported
    wb = openpyxl.load_workbook(done.workbook)
    assert wb.sheetnames[0] == "Bảng điểm - Scorecard"
    ws = wb["Bảng điểm - Scorecard"]
    headers_vi = [c.value for c in ws[2]]
    headers_en = [c.value for c in ws[3]]
    assert headers_vi == [vi for vi, _ in SCORECARD_HEADERS.values()]
    assert headers_en == [en for _, en in SCORECARD_HEADERS.values()]
    assert "Chênh lệch so với chỉ tiêu" in headers_vi and "Đạt / chưa đạt" in headers_vi
    assert ws.freeze_panes == "D4"
    # conditional formatting: met / not met over the data rows
    rules = {
        r.formula[0]: str(rng.sqref)
        for rng, rs in ws.conditional_formatting._cf_rules.items()
        for r in rs
    }
    assert set(rules) == {'$L4="Đạt"', '$L4="Chưa đạt"'}
    assert all(ref.startswith("A4:") for ref in rules.values())

    col = {en: i for i, en in enumerate(headers_en)}
    sheet = {  # a code names two units in 2025 (reused from 1/7/2025): keyed with the name
        (r[col["Indicator"]], r[col["Unit code"]], r[col["Unit"]]): r
        for r in ws.iter_rows(min_row=4, values_only=True)
    }
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        card = con.execute(
            "select indicator_id, admin_code, value, target, met, gap, admin_name from mart.scorecard"
        ).fetchall()
        communes = con.execute(
            """select count(*) from mart.indicator_value as v
               join (select distinct indicator_id, period_end from mart.scorecard) as s
                 using (indicator_id, period_end)
               join mart.indicator_catalogue as c using (indicator_id)
               where v.admin_level = 'commune' and v.period_type = c.headline_period
                 and v.geo_view = 'as_it_was'"""
        ).fetchall()[0][0]
    finally:
        con.close()
    assert card
    for ind, code, value, target, met, gap, name in card:
        row = sheet[(ind, code, name)]
        assert row[col["Value"]] == pytest.approx(value, abs=0.051), (ind, code)
        assert row[col["Target"]] == target
        assert row[col["Met"]] == {True: "Đạt", False: "Chưa đạt", None: None}[met]
        assert row[col["Unit"]] == name
        if gap is not None:
            assert row[col["Gap to target"]] == pytest.approx(gap, abs=0.051)
    # province first, then districts, then communes
    levels = [r[col["Level"]] for r in ws.iter_rows(min_row=4, values_only=True) if r[0] == "T02"]
    assert levels[0] == "Tỉnh" and levels[1:9] == ["Huyện"] * 8 and set(levels[9:]) == {"Xã"}
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    assert sum(1 for r in rows if r[col["Level"]] == "Xã") == communes > 0
    # one sheet per target, the definitions and the data quality
    assert {"T01", "T04", "T06a", "T17", "R01"} <= set(wb.sheetnames)
    assert wb["T04"]["A3"].value == "Cấp / Level" and wb["T04"]["C4"].value == AREA_NAME
    assert "Định nghĩa - Definitions" in wb.sheetnames and "Chất lượng - Quality" in wb.sheetnames


def test_csv_starts_with_a_bom_and_parquet_reads_back(exported):
    done, warehouse = exported
    for path in done.csv:
        assert path.read_bytes().startswith(codecs.BOM_UTF8), path
    text = (done.workbook.parent / "csv" / "scorecard.csv").read_bytes().decode("utf-8-sig")
    assert AREA_NAME in text
    values = pl.read_parquet(done.workbook.parent / "parquet" / "indicator_value.parquet")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert (
            values.height
            == con.execute("select count(*) from mart.indicator_value").fetchall()[0][0]
        )
    finally:
        con.close()


def test_export_reads_while_a_writer_could_not_and_says_when_nothing_is_published(
    tmp_path, small_warehouse
):
    with pytest.raises(ExportError, match="no published warehouse"):
        export(tmp_path / "missing.duckdb", tmp_path / "out")
    # another reader holds the file read-only (as during a nightly's publish): export still works
    holder = duckdb.connect(str(small_warehouse), read_only=True)
    try:
        assert export(small_warehouse, tmp_path / "out").workbook.exists()
    finally:
        holder.close()
