"""Certificate issuers: simulator, readers, staging rules, T11 given/expected, end to end with population."""

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
from test_population import raw_rows as population_rows

from sources.certificates import constants as c
from sources.certificates import month_of
from sources.certificates.connector import read_certificates
from sources.certificates.simulator import simulate
from transforms.marts.indicators import compute_indicators, load_catalogue
from transforms.pii import keyed_hash
from transforms.staging.stg_certificates import stage_certificates
from transforms.staging.stg_population import stage_age_bands

KEY = b"test-key"
COMMUNE_A, COMMUNE_B, COMMUNE_C = "31318", "31321", "31471"  # A and B in district 930, C elsewhere
COMMUNES = pl.Series([COMMUNE_A, COMMUNE_B, COMMUNE_C])
PERSON = "093085001234"  # born 1985, male
NAME = "Nguyễn Văn An"


def cert(
    serial: str,
    person: str = PERSON,
    issuer: str = "VNPT-CA",
    kind: str = "1",
    commune: str | None = COMMUNE_A,
    issued: str = "01/06/2024",
    expiry: str = "31/05/2026",
    revoked: str | None = None,
) -> dict:
    return {
        "MaToChucCungCap": issuer,
        "SoHieuChungThu": serial,
        "LoaiThueBao": kind,
        "SoGiayTo": person,
        "TenThueBao": NAME,
        "MaXaThuongTru": commune,
        "HinhThucChungThu": "2",
        "NgayCap": issued,
        "NgayHetHan": expiry,
        "NgayThuHoi": revoked,
    }


def stage(rows: list[dict], file_date: date = date(2025, 1, 31), file_id: str = "f1"):
    raw = pl.DataFrame(rows, schema=dict.fromkeys(c.COLUMNS, pl.String)).with_row_index(
        "_row", offset=1
    )
    raw = raw.with_columns(
        pl.col("_row").cast(pl.Int64),
        pl.lit(file_id).alias("_file_id"),
        pl.lit(file_date).alias("_file_date"),
    )
    return stage_certificates(raw, KEY, COMMUNES)


def test_simulator_is_deterministic_per_seed_and_range(tmp_path):
    args = (date(2025, 1, 1), date(2025, 2, 28))
    written = simulate(tmp_path / "a", *args, scale=0.005, seed=3)
    simulate(tmp_path / "b", *args, scale=0.005, seed=3)
    simulate(tmp_path / "c", *args, scale=0.005, seed=4)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.csv"))
    assert len(files) == 5 * 3  # each issuer: the register and two monthly reports
    assert all(
        (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files
    )
    assert any(
        (tmp_path / "a" / f).read_bytes() != (tmp_path / "c" / f).read_bytes() for f in files
    )
    assert sum(written.values()) == sum(read_certificates(tmp_path / "a" / f).height for f in files)
    # BKAV sends UTF-16 "Unicode text" with tabs, VNPT UTF-8 with BOM: both read the same way
    bkav = read_certificates(tmp_path / "a/certificates/BKAV-CA/chungthu_BKAV-CA_20250131.csv")
    assert bkav["MaToChucCungCap"].drop_nulls().unique().to_list() == ["BKAV-CA"]
    assert bkav["NgayCap"].drop_nulls().str.contains(r"^\d{8}$").all()


def test_months_of_reports_and_registers():
    assert month_of("chungthu_VNPT-CA_20250228.csv") == (date(2025, 2, 1), date(2025, 2, 28))
    assert month_of("sodangky_VNPT-CA_20250101.csv") is None
    assert c.monthly_dataset("VIETTEL-CA") == "issued_viettel_ca"


def test_good_row_is_typed_hashed_and_stripped_of_personal_fields():
    staged, quarantine = stage(
        [cert("AB01", issuer="viettel-ca", issued="2024-06-01", expiry="20260531")]
    )
    assert quarantine.height == 0
    row = staged.row(0, named=True)
    assert row["issuer_code"] == "VIETTEL-CA" and row["is_individual"] is True
    assert row["holder_hash"] == keyed_hash(PERSON, KEY) and row["holder_birth_year"] == 1985
    assert (row["issued_date"], row["expiry_date"], row["revoked_date"]) == (
        date(2024, 6, 1),
        date(2026, 5, 31),
        None,
    )
    text = staged.write_csv()
    assert PERSON not in text and NAME not in text and "TenThueBao" not in staged.columns


@pytest.mark.parametrize(
    ("override", "rule", "reason_part"),
    [
        ({"SoHieuChungThu": ""}, "missing_field", "SoHieuChungThu"),
        ({"NgayHetHan": None}, "missing_field", "NgayHetHan"),
        ({"MaToChucCungCap": "ABC-CA"}, "code_outside_list", "ABC-CA"),
        ({"LoaiThueBao": "9"}, "code_outside_list", "LoaiThueBao=9"),
        ({"HinhThucChungThu": "5"}, "code_outside_list", "HinhThucChungThu=5"),
        ({"NgayCap": "31/02/2025"}, "invalid_date", "NgayCap=31/02/2025"),
        ({"NgayCap": "01/03/2025"}, "date_out_of_range", "after the report date"),
        ({"NgayThuHoi": "01/01/1999"}, "date_out_of_range", "before 2000"),
        ({"NgayHetHan": "01/01/2024"}, "expiry_before_issue", "before NgayCap"),
        ({"NgayThuHoi": "01/05/2024"}, "revoked_before_issue", "before NgayCap"),
        ({"SoGiayTo": "09308500123"}, "invalid_holder_id", "withheld"),
        ({"SoGiayTo": "093985001234"}, "invalid_holder_id", "withheld"),  # born 1885: no
        ({"SoGiayTo": "6300123456"}, "invalid_holder_id", "withheld"),  # a tax code on a person
        ({"LoaiThueBao": "2"}, "invalid_holder_id", "withheld"),  # a citizen ID on an organisation
        ({"MaXaThuongTru": "31117"}, "unknown_unit", "31117"),
    ],
)
def test_bad_rows_go_to_quarantine_with_rule_and_reason(override, rule, reason_part):
    staged, quarantine = stage([cert("OK1"), {**cert("BAD1"), **override}])
    assert staged.height == 1 and quarantine.height == 1
    q = quarantine.row(0, named=True)
    assert (q["rule"], q["_row"]) == (rule, 2)
    assert reason_part in q["reason"]
    assert PERSON not in q["record"] and NAME not in q["record"] and "6300123456" not in q["record"]


def test_an_empty_commune_is_kept_and_an_organisation_has_no_birth_year():
    staged, quarantine = stage([cert("A", commune=""), cert("B", person="6300123456", kind="2")])
    assert quarantine.height == 0
    assert staged["unit_code"].to_list() == [None, COMMUNE_A]
    assert staged["holder_birth_year"].to_list() == [1985, None]
    assert staged["is_individual"].to_list() == [True, False]


# ---- T11, given / expected ---------------------------------------------------------------

P = {i: f"0930{80 + i:02d}00{i:04d}" for i in range(1, 11)}  # ten adults born 1981..1990
MINOR = "093210001111"  # born 2010


def t11_model(con) -> None:
    """Stage hand-written reports and extracts, then build the core tables T11 reads."""
    register, q1 = stage(
        [
            cert("S1", P[1]),  # P1 at VNPT ...
            cert(
                "S2", P[1], issuer="VIETTEL-CA", issued="01/09/2024", expiry="31/08/2025"
            ),  # ... and Viettel
            cert("S3", P[2], issued="16/01/2024", expiry="15/01/2025"),  # expired mid-January
            cert(
                "S4", P[3], issued="01/03/2024", expiry="28/02/2027", revoked="20/12/2024"
            ),  # revoked
            cert("S5", "6300123456", kind="2"),  # an organisation
            cert("S6", MINOR),  # a 15-year-old
            cert("S7", P[7], kind="3", commune=COMMUNE_B),  # person in an organisation
            cert("S8", P[8]),  # revoked in February (below)
            cert("S9", P[9], commune=None),  # no commune: province only
            cert("S10", P[10], issuer="BKAV-CA", commune=COMMUNE_C),
            cert(
                "S11",
                P[10],
                issuer="FPT-CA",
                commune=COMMUNE_C,
                issued="01/07/2024",
                expiry="30/06/2025",
            ),
        ],
        file_date=date(2025, 1, 1),
        file_id="reg",
    )
    february, q2 = stage(
        [
            cert("S12", P[4], issued="10/02/2025", expiry="09/02/2026"),  # new in February
            cert("S8", P[8], revoked="05/02/2025"),  # re-sent: revoked
        ],
        file_date=date(2025, 2, 28),
        file_id="feb",
    )
    assert q1.height == 0 and q2.height == 0
    con.register("_c", pl.concat([register, february]))
    con.execute("create table stg.certificates_certificate as select * from _c")
    bands = [
        {
            "MaXa": COMMUNE_A,
            "NhomTuoi": "18-24",
            "Nam": "2",
            "Nu": "2",
            "TongSo": "4",
            "NgayChotSoLieu": "31/12/2024",
        },
        {
            "MaXa": COMMUNE_A,
            "NhomTuoi": "25-34",
            "Nam": "3",
            "Nu": "3",
            "TongSo": "6",
            "NgayChotSoLieu": "31/12/2024",
        },
        {
            "MaXa": COMMUNE_A,
            "NhomTuoi": "0-4",
            "Nam": "3",
            "Nu": "2",
            "TongSo": "5",
            "NgayChotSoLieu": "31/12/2024",
        },
        {
            "MaXa": COMMUNE_B,
            "NhomTuoi": "45-59",
            "Nam": "2",
            "Nu": "3",
            "TongSo": "5",
            "NgayChotSoLieu": "31/12/2024",
        },
        {
            "MaXa": COMMUNE_C,
            "NhomTuoi": "60+",
            "Nam": "1",
            "Nu": "1",
            "TongSo": "2",
            "NgayChotSoLieu": "31/12/2024",
        },
        {
            "MaXa": COMMUNE_A,
            "NhomTuoi": "25-34",
            "Nam": "10",
            "Nu": "10",
            "TongSo": "20",
            "NgayChotSoLieu": "28/02/2025",
        },
        # an extract lists every commune: B and C unchanged on 28 February
        {
            "MaXa": COMMUNE_B,
            "NhomTuoi": "45-59",
            "Nam": "2",
            "Nu": "3",
            "TongSo": "5",
            "NgayChotSoLieu": "28/02/2025",
        },
        {
            "MaXa": COMMUNE_C,
            "NhomTuoi": "60+",
            "Nam": "1",
            "Nu": "1",
            "TongSo": "2",
            "NgayChotSoLieu": "28/02/2025",
        },
    ]
    population, _ = stage_age_bands(population_rows(bands, file_date=date(2025, 2, 28)), COMMUNES)
    con.register("_p", population)
    con.execute("create table stg.population_age_band as select * from _p")
    for table in ("core.fct_population", "core.fct_certificate", "core.fct_signature_coverage"):
        build_model(con, table)


def t11(con, level, code, period_type="month", start="2025-01-01"):
    return con.execute(
        "select numerator, denominator, value, met from mart.indicator_value where indicator_id = 'T11' "
        "and admin_level = ? and admin_code = ? and period_type = ? and period_start = ?",
        [level, code, period_type, start],
    ).fetchone()


def test_t11_counts_distinct_adult_holders_of_a_valid_certificate_over_adults(geo_db):
    con = geo_db
    make_periods(con, ["2025-01", "2025-02"])
    t11_model(con)
    compute_indicators(con, [i for i in load_catalogue(CATALOGUE_FILES) if i.id == "T11"], "run-1")
    # 31 January: A has P1 (two issuers: once) and P8; P2 expired, P3 revoked, P4 not yet, the
    # organisation and the minor never; adults of A = 4 + 6 (the 0-4 band is not adult)
    assert t11(con, "commune", COMMUNE_A)[:2] == (2, 10)
    assert t11(con, "commune", COMMUNE_B)[:3] == (1, 5, 20.0)
    # C: P10 holds two certificates (BKAV, FPT) -> 1 of 2 adults = 50%, and "> 50" is not met
    assert t11(con, "commune", COMMUNE_C) == (1, 2, 50.0, False)
    assert t11(con, "district", "930")[:2] == (3, 15)
    # the province adds P9, whose certificate names no commune: P1, P7, P8, P9, P10
    assert t11(con, "province", "93")[:2] == (5, 17)
    # 28 February: P8 revoked on the 5th, P4 new on the 10th; A's February extract (20 adults) applies
    assert t11(con, "commune", COMMUNE_A, start="2025-02-01")[:2] == (2, 20)
    assert t11(con, "province", "93", start="2025-02-01")[:2] == (5, 27)
    # 31 December 2025: P1's Viettel and P10's FPT certificates have expired, the others hold
    assert t11(con, "province", "93", "year")[:2] == (5, 27)
    assert t11(con, "commune", COMMUNE_C, "year")[:2] == (1, 2)


def test_t11_coverage_rows_merge_a_persons_certificates_into_spans(geo_db):
    con = geo_db
    make_periods(con, ["2025-01"])
    t11_model(con)
    spans = con.execute(
        "select holder_hash, valid_from, valid_through, n_certificates, n_issuers from core.fct_signature_coverage "
        "where kind = 'holder' and holder_hash = ?",
        [keyed_hash(P[1], KEY)],
    ).fetchall()
    assert spans == [(keyed_hash(P[1], KEY), date(2024, 6, 1), date(2026, 5, 31), 2, 2)]
    revoked = con.execute(
        "select valid_through from core.fct_certificate where serial = 'S8'"
    ).fetchone()
    assert revoked == (date(2025, 2, 4),)  # the February re-send wins: valid through the day before
    organisations = con.execute(
        "select count(*) from core.fct_signature_coverage where holder_hash = ?",
        [keyed_hash("6300123456", KEY)],
    ).fetchone()[0]
    assert organisations == 0


# ---- end to end ---------------------------------------------------------------------------


def test_end_to_end_with_population_without_prefect(tmp_path):
    con, landing = run_e2e(
        tmp_path,
        ["population", "certificates"],
        date(2025, 1, 1),
        date(2025, 3, 31),
        0.01,
        ["core.fct_population", "core.fct_certificate", "core.fct_signature_coverage"],
        ["T11"],
    )
    assert_rows_balance(con, "certificates")
    assert_rows_balance(con, "population")
    rules = {
        r[0]
        for r in con.execute(
            "select rule from audit.quarantine where source = 'certificates'"
        ).fetchall()
    }
    assert {"missing_field", "invalid_holder_id", "unknown_unit", "code_outside_list"} <= rules
    num, den, value, status = con.execute(
        "select numerator, denominator, value, status from mart.indicator_value where indicator_id = 'T11' "
        "and admin_level = 'province' and period_type = 'quarter'"
    ).fetchone()
    assert status == "ok" and 3000 < den < 8000 and 20 < value < 45
    # no clear citizen ID or name anywhere in the warehouse
    sent = pl.concat([read_certificates(p) for p in (landing / "certificates").rglob("*.csv")])
    ids = set(sent["SoGiayTo"].drop_nulls().to_list())
    names = set(sent["TenThueBao"].drop_nulls().to_list())
    tables = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where data_type = 'VARCHAR'"
    ).fetchall()
    for schema, table, column in tables:
        values = con.execute(
            f'select distinct "{column}" from {schema}.{table} where "{column}" is not null'
        ).fetchall()
        text = "\n".join(v[0] for v in values)
        assert not any(i in text for i in ids), f"citizen ID in {schema}.{table}.{column}"
        assert not any(n in text for n in names), f"name in {schema}.{table}.{column}"


def test_core_builds_before_the_first_delivery(tmp_path):
    assert_core_builds_before_the_first_delivery(
        tmp_path,
        ["population", "certificates"],
        ["core.fct_population", "core.fct_certificate", "core.fct_signature_coverage"],
    )
