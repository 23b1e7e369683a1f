"""Health facility list: simulator, reader, staging rules, T15 given/expected, end to end."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from conftest import (
    CATALOGUE_FILES,
    assert_core_builds_before_the_first_delivery,
    build_model,
    make_periods,
)
from test_population import (
    assert_rows_balance,
    run_e2e,
)

from sources.health import constants as c
from sources.health import month_of
from sources.health.connector import read_facilities
from sources.health.simulator import simulate
from transforms.marts.indicators import compute_indicators, load_catalogue
from transforms.staging.stg_health import stage_facilities

COMMUNE_A, COMMUNE_B = "31318", "31321"
COMMUNES = pl.Series([COMMUNE_A, COMMUNE_B])


def facility(
    code: str,
    kind: str = "Trạm y tế",
    commune: str = COMMUNE_A,
    live: str | None = None,
    ownership: str = "Công lập",
) -> dict:
    return {
        "MaCSKCB": code,
        "TenCSKCB": f"Cơ sở {code}",
        "LoaiHinh": kind,
        "HinhThucSoHuu": ownership,
        "MaXa": commune,
        "NgayTrienKhaiSoSKDTVNeID": live,
    }


def stage(rows: list[dict], day: date = date(2025, 1, 31), file_id: str = "f1"):
    raw = pl.DataFrame(rows, schema=dict.fromkeys(c.COLUMNS, pl.String)).with_row_index(
        "_row", offset=1
    )
    raw = raw.with_columns(
        pl.col("_row").cast(pl.Int64),
        pl.lit(file_id).alias("_file_id"),
        pl.lit(day).alias("_file_date"),
    )
    return stage_facilities(raw, COMMUNES)


def test_simulator_is_deterministic_and_sized_like_the_province(tmp_path):
    simulate(tmp_path / "a", date(2025, 1, 1), date(2025, 3, 31), seed=9)
    simulate(tmp_path / "b", date(2025, 1, 1), date(2025, 3, 31), seed=9)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.csv"))
    assert [f.name for f in files] == [
        "dmcskcb_20250131.csv",
        "dmcskcb_20250228.csv",
        "dmcskcb_20250331.csv",
    ]
    assert all(
        (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files
    )
    listed = read_facilities(tmp_path / "a" / files[0])
    assert 100 <= listed.height <= 200
    assert listed.filter(pl.col("LoaiHinh") == "Trạm y tế").height == 75  # one per commune
    assert month_of("dmcskcb_20250228.csv") == (date(2025, 2, 1), date(2025, 2, 28))


def test_good_row_is_typed_and_keeps_the_lists_day():
    staged, quarantine = stage([facility("93001", "Bệnh viện", live="01/10/2024")])
    assert quarantine.height == 0
    row = staged.row(0, named=True)
    assert (row["facility_type"], row["ownership"], row["is_public"]) == (
        "hospital",
        "public",
        True,
    )
    assert (row["vneid_health_book_since"], row["snapshot_date"]) == (
        date(2024, 10, 1),
        date(2025, 1, 31),
    )


@pytest.mark.parametrize(
    ("override", "rule", "reason_part"),
    [
        ({"MaCSKCB": ""}, "missing_field", "MaCSKCB"),
        ({"MaCSKCB": "93-01"}, "invalid_code", "93-01"),
        ({"LoaiHinh": "Nhà thuốc"}, "code_outside_list", "LoaiHinh=Nhà thuốc"),
        ({"HinhThucSoHuu": "Liên doanh"}, "code_outside_list", "HinhThucSoHuu=Liên doanh"),
        ({"NgayTrienKhaiSoSKDTVNeID": "2025-13-01"}, "invalid_date", "2025-13-01"),
        ({"NgayTrienKhaiSoSKDTVNeID": "15/02/2025"}, "date_out_of_range", "after the list's day"),
        ({"MaXa": "31117"}, "unknown_unit", "31117"),
    ],
)
def test_bad_rows_go_to_quarantine_with_rule_and_reason(override, rule, reason_part):
    staged, quarantine = stage([facility("93100"), {**facility("93101"), **override}])
    assert staged.height == 1 and quarantine.height == 1
    q = quarantine.row(0, named=True)
    assert (q["rule"], q["_row"]) == (rule, 2) and reason_part in q["reason"]


def test_t15_facilities_running_the_vneid_health_book_at_the_period_end(geo_db):
    con = geo_db
    make_periods(con, ["2025-01", "2025-02"])
    january, _ = stage(
        [
            facility("93001", "Bệnh viện", live="01/10/2024"),  # live
            facility("93100"),  # station: live from 15 February
            facility("93300", "Phòng khám", ownership="Tư nhân"),  # clinic: closes in February
            facility("93101", commune=COMMUNE_B, live="05/01/2025"),
        ],
        date(2025, 1, 31),
        "jan",
    )
    february, _ = stage(
        [
            facility("93001", "Bệnh viện", live="01/10/2024"),
            facility("93100", live="15/02/2025"),
            facility("93101", commune=COMMUNE_B, live="05/01/2025"),
            facility("93301", "Phòng khám", COMMUNE_B, ownership="Tư nhân"),  # opened in February
        ],
        date(2025, 2, 28),
        "feb",
    )
    con.register("_f", pl.concat([january, february]))
    con.execute("create table stg.health_facility as select * from _f")
    build_model(con, "core.fct_health_facility")
    compute_indicators(con, [i for i in load_catalogue(CATALOGUE_FILES) if i.id == "T15"], "run-1")

    def t15(level, code, period_type="month", start="2025-01-01"):
        return con.execute(
            "select numerator, denominator, value, met from mart.indicator_value where indicator_id = 'T15' "
            "and admin_level = ? and admin_code = ? and period_type = ? and period_start = ?",
            [level, code, period_type, start],
        ).fetchone()

    assert t15("commune", COMMUNE_A)[:2] == (1, 3)
    assert t15("commune", COMMUNE_B)[:4] == (1, 1, 100.0, True)
    assert t15("province", "93")[:2] == (2, 4)
    assert t15("commune", COMMUNE_A, start="2025-02-01")[:4] == (
        2,
        2,
        100.0,
        True,
    )  # the clinic closed
    assert t15("commune", COMMUNE_B, start="2025-02-01")[:2] == (1, 2)
    assert t15("province", "93", start="2025-02-01")[:2] == (3, 4)
    # the quarter ends on 31 March: February's list still applies
    assert t15("province", "93", "quarter")[:2] == (3, 4)


def test_end_to_end_without_prefect(tmp_path):
    con, _ = run_e2e(
        tmp_path,
        ["health"],
        date(2025, 1, 1),
        date(2025, 3, 31),
        0.02,
        ["core.fct_health_facility"],
        ["T15"],
    )
    assert_rows_balance(con, "health")
    rules = dict(con.execute("select rule, count(*) from audit.quarantine group by 1").fetchall())
    assert rules == {"code_outside_list": 3, "unknown_unit": 3}
    assert con.execute("select sum(rows_duplicate) from meta.manifest").fetchone()[0] == 3
    rows = con.execute(
        "select period_label, numerator, denominator, value from mart.indicator_value where indicator_id = 'T15' "
        "and admin_level = 'province' and period_type = 'month' order by period_start"
    ).fetchall()
    assert len(rows) == 3 and all(100 <= r[2] <= 200 for r in rows)
    assert rows[0][3] < rows[-1][3] < 100  # rising, not there yet


def test_core_builds_before_the_first_delivery(tmp_path):
    assert_core_builds_before_the_first_delivery(tmp_path, ["health"], ["core.fct_health_facility"])
