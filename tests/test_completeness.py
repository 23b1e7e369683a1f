"""Completeness: which source, unit and period is missing or late."""

from __future__ import annotations

from datetime import date

from conftest import build_model

from sources.base import Source
from sources.extract import covered_period


def deliver(con, source, period_start, period_end, file_date, name, dataset="main"):
    con.execute(
        """insert into meta.manifest (file_id, source, dataset, url, name, sha256, file_date, period_start,
               period_end, status, run_id, extracted_at)
           values (?, ?, ?, ?, ?, 'x', ?, ?, ?, 'loaded', 'r', now())""",
        [name, source, dataset, name, name, file_date, period_start, period_end],
    )


def completeness(con):
    build_model(con, "core.fct_completeness")
    return {
        (r[0], str(r[1])): (r[2], r[3])
        for r in con.execute(
            "select source, period_start, status, unit_code from core.fct_completeness order by all"
        ).fetchall()
    }


def test_missing_late_on_time_and_pending_extracts(geo_db):
    con = geo_db
    con.executemany(
        "insert into ref.source values (?, '', '', ?, ?, 'main')",
        [["daily_src", "daily", 1], ["monthly_src", "monthly", 10]],
    )
    # daily: 1 and 2 Jan delivered, 3 Jan never, 4 Jan delivered
    for day in (1, 2, 4):
        deliver(
            con, "daily_src", date(2025, 1, day), date(2025, 1, day), date(2025, 1, day), f"d{day}"
        )
    # monthly: January on time (5 Feb), February late (20 Feb > 28 Feb + 10? no: due 10 Mar; delivered 15 Mar)
    deliver(con, "monthly_src", date(2025, 1, 1), date(2025, 1, 31), date(2025, 2, 5), "m1")
    deliver(con, "monthly_src", date(2025, 2, 1), date(2025, 2, 28), date(2025, 3, 15), "m2")
    # as of 15 Mar: March not due yet (pending)
    got = completeness(con)
    assert got[("daily_src", "2025-01-03")] == ("missing", "93")
    assert got[("daily_src", "2025-01-02")][0] == "on_time"
    assert got[("monthly_src", "2025-01-01")][0] == "on_time"
    assert got[("monthly_src", "2025-02-01")][0] == "late"
    assert got[("monthly_src", "2025-03-01")][0] == "pending"
    # every daily period up to the as-of date is expected
    assert got[("daily_src", "2025-03-10")][0] == "missing"
    assert got[("daily_src", "2025-03-15")][0] == "pending"


def test_indicator_of_a_period_with_a_missing_extract_says_so(geo_db):
    from test_indicators import COMMUNE_A, catalogue, d, dossiers

    from transforms.marts.indicators import compute_indicators

    con = geo_db
    con.execute("insert into ref.source values ('dvc', '', '', 'daily', 1, 'dossier')")
    for day in (1, 2, 4, 5):  # 3 January never came
        deliver(
            con,
            "dvc",
            date(2025, 1, day),
            date(2025, 1, day),
            date(2025, 1, day),
            f"d{day}",
            "dossier",
        )
    build_model(con, "core.dim_period")
    build_model(con, "core.fct_completeness")
    dossiers(con, [d(1, COMMUNE_A)])
    compute_indicators(con, catalogue("T02"), "r1")
    status, reason = con.execute(
        "select status, status_reason from mart.indicator_value where indicator_id = 'T02' "
        "and period_type = 'month' and admin_code = ?",
        [COMMUNE_A],
    ).fetchone()
    assert status == "source_missing" and "dvc" in reason and "1 of its delivery periods" in reason


def test_period_covered_by_a_file_comes_from_the_source_or_its_date_stamp():
    plain = Source("s", "", "", {}, {}, lambda *a, **k: {}, "daily")
    assert covered_period(plain, "hoso_20250111.jsonl") == (date(2025, 1, 11), date(2025, 1, 11))
    yearly = Source(
        "y",
        "",
        "",
        {},
        {},
        lambda *a, **k: {},
        "yearly",
        period_of=lambda n: (date(int(n[5:9]), 1, 1), date(int(n[5:9]), 12, 31)),
    )
    assert covered_period(yearly, "grdp_2024_20250310.xlsx") == (
        date(2024, 1, 1),
        date(2024, 12, 31),
    )
