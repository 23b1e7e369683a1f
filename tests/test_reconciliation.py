"""mart.reconciliation: our 766 variants beside the national portal's figures from the same dossiers."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from conftest import CATALOGUE_FILES, MODEL_FOLDERS, SOURCES, staging

from sources.extract import extract
from sources.national766.figures import evaluate, load_landing, periods_between
from sources.national766.simulator import write_answers
from transforms import core as core_models
from transforms.marts import build_marts
from transforms.marts.indicators import load_catalogue
from transforms.marts.reconciliation import load_pairings
from transforms.staging.run import load_reference, stage_source
from warehouse import build as wh
from warehouse.reports import format_scorecard, quality_markdown, reconciliation_rows

START, END = date(2025, 1, 1), date(2025, 3, 31)


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    from sources.dvc.simulator import simulate as simulate_dvc
    from sources.national766.simulator import simulate as simulate_766

    root = tmp_path_factory.mktemp("landing")
    simulate_dvc(root, START, END, scale=0.02, seed=3)
    simulate_766(root, START, END, scale=0.02, seed=3)
    return root


def reconcile(tmp_path, landing, tolerance=0.5):
    con = wh.connect(wh.prepare_build(tmp_path / "pub.duckdb", tmp_path / "build.duckdb"))
    load_reference(con)
    for name in ("dvc", "national766"):
        extract(con, SOURCES[name], str(landing), tmp_path / "raw", "r1")
        stage_source(con, *staging(name), b"k", "r1")
    core_models.build(con, MODEL_FOLDERS, {}, "r1")
    build_marts(con, load_catalogue(CATALOGUE_FILES), "r1", {}, tolerance)
    return con


def test_our_766_variants_agree_with_the_portal_on_the_same_dossiers(landing, tmp_path):
    con = reconcile(tmp_path, landing)
    rows = con.execute(
        "select metric_code, period_type, status, difference, reason from mart.reconciliation"
    ).fetchall()
    metrics = {p.metric for p in load_pairings()}
    # every paired metric, every month, quarter and year of the data
    assert len(rows) == len(metrics) * (3 + 1 + 1)
    assert {r[2] for r in rows} == {"agrees"}, [r for r in rows if r[2] != "agrees"][:3]
    assert max(abs(r[3]) for r in rows) < 0.01
    counts = con.execute(
        """select bool_and(our_numerator = portal_numerator and our_denominator = portal_denominator)
           from mart.reconciliation where metric_code <> 'online_dossier' or true"""
    ).fetchone()
    assert counts == (True,)  # the counts themselves agree, not only the ratios
    # the 766 variants differ from the plan's readings of the same targets
    plan = dict(
        con.execute(
            """select indicator_id, value from mart.indicator_value
               where admin_level = 'province' and period_type = 'quarter'
                 and indicator_id in ('T03', 'T03_766', 'T04', 'T04_766', 'T05', 'T05_766')"""
        ).fetchall()
    )
    assert plan["T03"] != plan["T03_766"] and plan["T04"] != plan["T04_766"]
    assert plan["T05_766"] < plan["T05"]  # overdue and dissatisfied counts twice
    # the scorecard shows the comparison beside the targets, not the variants as rows
    text = format_scorecard(con)
    assert "Against the national portal" in text and "T02_766" not in text
    assert "2025-03 766: ours" in text and "agrees" in text
    con.close()


def test_a_shifted_metric_differs_with_a_reason(landing, tmp_path):
    shifted = tmp_path / "landing"
    shutil.copytree(landing, shifted)
    shutil.rmtree(shifted / "national766")
    records = load_landing(shifted)
    periods = periods_between(START, END)
    figures = evaluate(records, periods, shift={"vneid_identification": 3.0})
    write_answers(shifted / "national766", figures, periods, records.last_day)
    con = reconcile(tmp_path, shifted)
    status = dict(
        con.execute(
            "select metric_code, list_distinct(list(status)) from mart.reconciliation group by 1"
        ).fetchall()
    )
    # months and quarters of the first half: the portal's province 93 is the plan's area
    assert sorted(status.pop("vneid_identification")) == ["differs", "scope_differs"]
    assert all(v == ["agrees"] for v in status.values()), status
    year = con.execute(
        """select status, portal_province_code, reason from mart.reconciliation
           where metric_code = 'vneid_identification' and period_type = 'year'"""
    ).fetchone()
    # the year 2025 is published under Cần Thơ (92), which covers more than the plan's area
    assert year[:2] == ("scope_differs", "92") and "former Hậu Giang" in year[2]
    report = quality_markdown([], {"checks": 0, "failed": []}, {}, reconciliation_rows(con))
    assert "**T03** vneid_identification month 2025-01-01: differs — ours" in report
    reason = con.execute(
        """select reason, difference from mart.reconciliation
           where metric_code = 'vneid_identification' and period_type = 'month' order by period_start"""
    ).fetchone()
    assert "3.0 points apart, beyond the tolerance of 0.5" in reason[0] and reason[
        1
    ] == pytest.approx(-3, abs=0.01)
    con.close()


def test_missing_portal_figures_are_said_so(landing, tmp_path):
    partial = tmp_path / "landing"
    shutil.copytree(landing, partial)
    for f in (partial / "national766").rglob("*2025M02*"):
        f.unlink()
    con = reconcile(tmp_path, partial)
    feb = con.execute(
        """select distinct status, reason from mart.reconciliation
           where period_type = 'month' and period_start = date '2025-02-01'"""
    ).fetchall()
    assert feb == [
        ("portal_missing", "the national portal has published no figure for this metric and period")
    ]
    con.close()
