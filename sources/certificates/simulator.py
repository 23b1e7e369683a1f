"""Simulated certificate reports: each issuer's register and monthly reports, deterministic from a seed.

Every adult of the province (``sources.population.simulator.adults``, so the
two sources agree) gets a citizen ID shaped as the real one (province of
birth registration, sex and century, year of birth, serial) and, with a
probability that follows the commune's adoption curve, a first certificate
at some day between 2021 and 2026. From then on the person renews on expiry
(most do, at the same issuer mostly, sometimes a few days late), or lets it
lapse; a few certificates are revoked (and most of those replaced); some
people hold a second certificate from another issuer at the same time
(remote signing next to a token). Organisations hold certificates too
(tax code, not counted by T11). The share of adults holding a valid
certificate rises from about 25% at the end of 2024 to about 45–55% at the
end of 2025, higher in the more mature communes (``geo.maturity``).

The whole history is drawn once from the seed, whatever range is asked; the
range only decides which files are written: the register as of ``start``
and the monthly reports whose month ends in [start, end]. Each file carries
a few defects a real report has (missing serial, expiry before issue, a
truncated ID, a commune of another province, an unknown code, an
impossible date, a line sent twice).
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from sources import geo
from sources.certificates import constants as c
from sources.population import simulator as population

EPOCH = date(1970, 1, 1)
HISTORY_START = date(2021, 1, 1)
HISTORY_END = date(2026, 12, 31)
ADULTS_ON = date(2025, 6, 30)
ISSUER_CODES = list(c.ISSUERS)
ISSUER_SHARE = np.array([0.38, 0.31, 0.12, 0.13, 0.06])
VALIDITY_YEARS = (np.array([1, 2, 3]), np.array([0.45, 0.35, 0.20]))
P_REVOKED, P_REPLACE_REVOKED, P_RENEW, P_SAME_ISSUER, P_SECOND = 0.03, 0.6, 0.86, 0.75, 0.12
P_NO_COMMUNE = 0.03
# the adult bands as (lowest age, highest age) and the province's shares of adults
ADULT_AGES = {
    "18-24": (18, 24),
    "25-34": (25, 34),
    "35-44": (35, 44),
    "45-59": (45, 59),
    "60+": (60, 89),
}
BIRTH_PROVINCE = (
    np.array(["093", "092", "094", "091", "086", "079"]),
    np.array([0.80, 0.08, 0.04, 0.03, 0.02, 0.03]),
)
ORGANISATIONS = 5_200  # enterprises, cooperatives and agencies holding certificates, at scale 1
FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Huỳnh",
    "Võ",
    "Phan",
    "Trương",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Ngô",
]
MIDDLE = [
    ["Văn", "Minh", "Hoàng", "Thanh", "Quốc", "Hữu"],
    ["Thị", "Ngọc", "Thanh", "Kim", "Mỹ", "Thu"],
]
GIVEN = [
    ["An", "Bình", "Cường", "Dũng", "Hùng", "Khang", "Nam", "Phúc", "Tài", "Tuấn", "Vinh", "Trí"],
    ["Anh", "Hà", "Hạnh", "Lan", "Linh", "Ngân", "Phương", "Tâm", "Thảo", "Trang", "Vy", "Yến"],
]
ORG_WORDS = [
    "Phát Đạt",
    "Minh Phú",
    "Hậu Giang",
    "Mekong",
    "Thành Công",
    "Tân Phú",
    "Sông Hậu",
    "Việt Úc",
]


def day_number(d: date) -> int:
    return (d - EPOCH).days


def adoption_knots(unit_code: str) -> tuple[np.ndarray, np.ndarray]:
    """Days and the share of the commune's adults who have had a first certificate by then."""
    m = geo.maturity(unit_code)
    s2024 = 0.265 + 0.05 * m
    s2025 = 0.565 + 0.08 * m + 0.03 * (geo.stable_fraction("cert", unit_code) - 0.5)
    days = [
        date(2021, 1, 1),
        date(2022, 1, 1),
        date(2023, 1, 1),
        date(2024, 1, 1),
        date(2025, 1, 1),
        date(2026, 1, 1),
        date(2027, 1, 1),
    ]
    shares = [0.0, 0.03, 0.07, 0.13, s2024, s2025, s2025 + 0.12]
    return np.array([day_number(d) for d in days], dtype=float), np.array(shares)


def _citizen_ids(rng: np.random.Generator, birth_year: np.ndarray, sex: np.ndarray) -> np.ndarray:
    """12-digit citizen IDs, unique: birth province, sex/century digit, year of birth, serial."""
    province = rng.choice(BIRTH_PROVINCE[0], size=birth_year.size, p=BIRTH_PROVINCE[1])
    century_digit = sex + np.where(birth_year >= 2000, 2, 0)
    prefix = (
        pl.Series(province)
        + pl.Series(century_digit.astype(str))
        + pl.Series([f"{y % 100:02d}" for y in range(1900, 2100)]).gather(birth_year - 1900)
    )
    frame = pl.DataFrame({"prefix": prefix}).with_row_index("i")
    rank = (
        frame.select(pl.col("i").cum_count().over("prefix")).to_series().to_numpy().astype(np.int64)
    )
    offset = (
        frame.select(pl.col("prefix").hash(seed=7) % 1_000_000)
        .to_series()
        .to_numpy()
        .astype(np.int64)
    )
    serial = (rank * 7919 + offset) % 1_000_000
    return (prefix + pl.Series(serial).cast(pl.String).str.zfill(6)).to_numpy()


def _names(rng: np.random.Generator, sex: np.ndarray) -> np.ndarray:
    n = sex.size
    family = np.array(FAMILY)[rng.integers(0, len(FAMILY), n)]
    middle = np.where(
        sex == 0,
        np.array(MIDDLE[0])[rng.integers(0, 6, n)],
        np.array(MIDDLE[1])[rng.integers(0, 6, n)],
    )
    given = np.where(
        sex == 0,
        np.array(GIVEN[0])[rng.integers(0, 12, n)],
        np.array(GIVEN[1])[rng.integers(0, 12, n)],
    )
    return (pl.Series(family) + " " + pl.Series(middle) + " " + pl.Series(given)).to_numpy()


def people(rng: np.random.Generator, scale: float) -> pl.DataFrame:
    """Every adult of the province: commune, citizen ID, name, year of birth, day of first certificate."""
    communes = geo.communes()
    counts = np.array([population.adults(cm, ADULTS_ON, scale) for cm in communes])
    commune_idx = np.repeat(np.arange(len(communes)), counts)
    n = commune_idx.size
    shares = np.array([population.BASE_SHARES[b] for b in ADULT_AGES])
    band = rng.choice(len(ADULT_AGES), size=n, p=shares / shares.sum())
    low = np.array([a for a, _ in ADULT_AGES.values()])[band]
    high = np.array([b for _, b in ADULT_AGES.values()])[band]
    birth_year = ADULTS_ON.year - (low + np.floor(rng.random(n) * (high - low + 1)).astype(int))
    sex = rng.integers(0, 2, n)
    ids = _citizen_ids(rng, birth_year, sex)
    names = _names(rng, sex)
    u = rng.random(n)
    first = np.full(n, np.nan)
    for i, cm in enumerate(communes):
        sel = commune_idx == i
        days, knots = adoption_knots(cm.code)
        ui = u[sel]
        first[sel] = np.where(ui < knots[-1], np.interp(ui, knots, days), np.nan)
    adult_from = np.array([day_number(date(int(y) + 18, 1, 1)) for y in range(1900, 2100)])[
        birth_year - 1900
    ]
    first = np.where(np.isnan(first), np.nan, np.maximum(first, adult_from))
    codes = np.array([cm.code for cm in communes])[commune_idx]
    return pl.DataFrame(
        {"commune": codes, "id": ids, "name": names, "first": first, "subscriber": 1}
    )


def organisations(rng: np.random.Generator, scale: float) -> pl.DataFrame:
    communes = geo.communes()
    n = max(1, round(ORGANISATIONS * scale))
    weights = np.array(
        [
            cm.population * (2.5 if cm.unit_type in ("Phường", "Thị trấn") else 1.0)
            for cm in communes
        ]
    )
    idx = rng.choice(len(communes), size=n, p=weights / weights.sum())
    tax = 6300000000 + (np.arange(n) * 7919 + int(rng.integers(0, 10**8))) % 10**8
    names = [
        "Công ty TNHH " + ORG_WORDS[i % len(ORG_WORDS)] + f" {k + 1}"
        for k, i in enumerate(rng.integers(0, len(ORG_WORDS), n))
    ]
    first = day_number(HISTORY_START) + rng.random(n) * (
        day_number(date(2025, 12, 31)) - day_number(HISTORY_START)
    )
    return pl.DataFrame(
        {
            "commune": np.array([cm.code for cm in communes])[idx],
            "id": tax.astype(str),
            "name": names,
            "first": first,
            "subscriber": 2,
        }
    )


def _issuer_choice(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice(len(ISSUER_CODES), size=n, p=ISSUER_SHARE)


def certificate_chains(rng: np.random.Generator, holders: pl.DataFrame) -> pl.DataFrame:
    """Every certificate of every holder: first, renewals, replacements of revoked ones, a second issuer."""
    first = holders["first"].to_numpy()
    start = np.flatnonzero(~np.isnan(first))
    holder, issued, issuer = (
        start,
        np.floor(first[start]).astype(np.int64),
        _issuer_choice(rng, start.size),
    )
    second = rng.random(start.size) < P_SECOND
    parts = []
    chain_holder = np.concatenate([holder, holder[second]])
    chain_issued = np.concatenate([issued, issued[second] + rng.integers(20, 400, second.sum())])
    chain_issuer = np.concatenate(
        [
            issuer,
            (issuer[second] + rng.integers(1, len(ISSUER_CODES), second.sum())) % len(ISSUER_CODES),
        ]
    )
    renews = np.concatenate([np.ones(start.size, bool), np.zeros(second.sum(), bool)])
    end = day_number(HISTORY_END)
    while chain_holder.size:
        keep = chain_issued <= end
        chain_holder, chain_issued, chain_issuer, renews = (
            chain_holder[keep],
            chain_issued[keep],
            chain_issuer[keep],
            renews[keep],
        )
        n = chain_holder.size
        years = rng.choice(VALIDITY_YEARS[0], size=n, p=VALIDITY_YEARS[1])
        expiry = chain_issued + np.round(years * 365.25).astype(np.int64) - 1
        revoked = rng.random(n) < P_REVOKED
        revoked_on = np.where(
            revoked,
            chain_issued + 1 + np.floor(rng.random(n) * (expiry - chain_issued)).astype(np.int64),
            -1,
        )
        parts.append(
            pl.DataFrame(
                {
                    "holder": chain_holder,
                    "issuer": chain_issuer,
                    "issued": chain_issued,
                    "expiry": expiry,
                    "revoked": revoked_on,
                }
            )
        )
        replace = revoked & (rng.random(n) < P_REPLACE_REVOKED)
        renew = ~revoked & renews & (rng.random(n) < P_RENEW)
        nxt = replace | renew
        next_issued = np.where(
            replace, revoked_on + rng.integers(0, 30, n), expiry + rng.integers(-20, 16, n)
        )
        switch = rng.random(n) >= P_SAME_ISSUER
        next_issuer = np.where(switch, _issuer_choice(rng, n), chain_issuer)
        chain_holder, chain_issued, chain_issuer, renews = (
            chain_holder[nxt],
            next_issued[nxt],
            next_issuer[nxt],
            np.ones(nxt.sum(), bool),
        )
    return pl.concat(parts)


def history(seed: int, scale: float) -> pl.DataFrame:
    """Every certificate issued to the province's subscribers, 2021–2026, as the issuers hold them."""
    rng = np.random.default_rng(seed)
    holders = pl.concat([people(rng, scale), organisations(rng, scale)], how="vertical_relaxed")
    certs = certificate_chains(rng, holders).sort("issued", "holder", "issuer")
    n = certs.height
    holder = holders[certs["holder"].to_numpy()]
    subscriber = holder["subscriber"].to_numpy()
    in_org = (subscriber == 1) & (rng.random(n) < 0.12)
    issued = certs["issued"].to_numpy()
    progress = np.clip((issued - day_number(date(2023, 1, 1))) / (3 * 365), 0, 1)
    form_draw = rng.random(n)
    form = np.where(form_draw < 0.04, 3, np.where(form_draw < 0.04 + 0.15 + 0.5 * progress, 2, 1))
    issuer = certs["issuer"].to_numpy()
    form = np.where(np.array(ISSUER_CODES)[issuer] == "BCY-CA", 1, form)
    serial_hi, serial_lo = rng.integers(0, 2**60, n), rng.integers(0, 2**60, n)
    no_commune = rng.random(n) < P_NO_COMMUNE
    frame = pl.DataFrame(
        {
            "issuer": np.array(ISSUER_CODES)[issuer],
            "serial": [f"54{a:015X}{b:015X}" for a, b in zip(serial_hi, serial_lo, strict=True)],
            "subscriber": np.where(in_org, 3, subscriber),
            "id": holder["id"],
            "name": holder["name"],
            "commune": holder["commune"],
            "no_commune": no_commune,
            "form": form,
            "issued": issued,
            "expiry": certs["expiry"],
            "revoked": certs["revoked"],
        }
    )
    day = pl.col("issued").cast(pl.Int32).cast(pl.Date)
    return frame.with_columns(
        pl.when(~pl.col("no_commune")).then(pl.col("commune")).alias("commune"),
        day.alias("issued"),
        pl.col("expiry").cast(pl.Int32).cast(pl.Date),
        pl.when(pl.col("revoked") >= 0)
        .then(pl.col("revoked"))
        .cast(pl.Int32)
        .cast(pl.Date)
        .alias("revoked"),
    ).drop("no_commune")


def month_ends(start: date, end: date) -> list[date]:
    out: list[date] = []
    y, m = start.year, start.month
    while True:
        last = date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)
        if last > end:
            return out
        out.append(last)
        y, m = y + (m == 12), m % 12 + 1


def report_rows(certs: pl.DataFrame, window_start: date | None, window_end: date) -> pl.DataFrame:
    """Rows of a report for [window_start, window_end] (no start: the register up to window_end).

    A report lists the certificates issued in its window and the earlier ones
    revoked in it; a revocation after the window is not known yet.
    """
    issued_in = pl.col("issued") <= window_end
    if window_start is not None:
        issued_in = issued_in & (pl.col("issued") >= window_start)
        revoked_in = (pl.col("issued") < window_start) & pl.col("revoked").is_between(
            window_start, window_end
        )
        issued_in = issued_in | revoked_in
    return certs.filter(issued_in & (pl.col("issued") >= HISTORY_START)).with_columns(
        pl.when(pl.col("revoked") <= window_end).then(pl.col("revoked")).alias("revoked")
    )


def as_export(rows: pl.DataFrame, issuer: str) -> pl.DataFrame:
    fmt = c.ISSUER_FORMAT[issuer][0]
    return rows.select(
        pl.col("issuer").alias("MaToChucCungCap"),
        pl.col("serial").alias("SoHieuChungThu"),
        pl.col("subscriber").cast(pl.String).alias("LoaiThueBao"),
        pl.col("id").alias("SoGiayTo"),
        pl.col("name").alias("TenThueBao"),
        pl.col("commune").alias("MaXaThuongTru"),
        pl.col("form").cast(pl.String).alias("HinhThucChungThu"),
        *[
            pl.col(src).cast(pl.Datetime).dt.strftime(fmt).alias(dst)
            for src, dst in (
                ("issued", "NgayCap"),
                ("expiry", "NgayHetHan"),
                ("revoked", "NgayThuHoi"),
            )
        ],
    )


def with_defects(export: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """About one row in a thousand broken the way real reports break, and one line sent twice."""
    if export.height == 0:
        return export
    k = max(1, export.height // 1000)
    rows = rng.choice(export.height, size=min(k, export.height), replace=False)
    broken, first_kind = [], int(rng.integers(0, 6))
    for j, i in enumerate(rows):
        r = export.row(int(i), named=True)
        kind = (first_kind + j) % 6
        if kind == 0:
            r["SoHieuChungThu"] = None
        elif kind == 1:
            r["NgayHetHan"], r["NgayCap"] = r["NgayCap"], r["NgayHetHan"]
        elif kind == 2:
            r["SoGiayTo"] = r["SoGiayTo"][:-1]
        elif kind == 3:
            r["MaXaThuongTru"] = population.FOREIGN_COMMUNE[0]
        elif kind == 4:
            r["LoaiThueBao"] = "9"
        else:
            r["NgayCap"] = "31/02/2025"
        broken.append(r)
    keep = export.with_row_index("_i").filter(~pl.col("_i").is_in(rows.tolist())).drop("_i")
    out = pl.concat([keep, pl.DataFrame(broken, schema=export.schema)])
    return pl.concat([out, out.slice(out.height // 2, 1)])


def write_report(path: Path, export: pl.DataFrame, issuer: str) -> None:
    _, encoding, separator = c.ISSUER_FORMAT[issuer]
    buf = io.StringIO()
    export.write_csv(buf, separator=separator, line_terminator="\r\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode(encoding))


def simulate(
    landing_root: str | Path, start: date, end: date, scale: float = 1.0, seed: int = 190
) -> dict[str, int]:
    """Write each issuer's register (as of ``start``) and monthly reports in [start, end]."""
    certs = history(seed, scale)
    root = Path(landing_root) / c.SOURCE
    written = dict.fromkeys(c.DATASETS, 0)
    for k, issuer in enumerate(ISSUER_CODES):
        mine = certs.filter(pl.col("issuer") == issuer)
        files: list[tuple[str, str, date | None, date]] = [
            ("register", f"sodangky_{issuer}_{start:%Y%m%d}.csv", None, start - timedelta(days=1))
        ]
        files += [
            (
                c.monthly_dataset(issuer),
                f"chungthu_{issuer}_{me:%Y%m%d}.csv",
                max(start, me.replace(day=1)),
                me,
            )
            for me in month_ends(start, end)
        ]
        for dataset, name, window_start, window_end in files:
            rng = np.random.default_rng(
                [seed, k, window_end.year, window_end.month, window_end.day]
            )
            # the residence as the issuer's register names it on the file's day
            stamp = start if window_start is None else window_end
            export = as_export(report_rows(mine, window_start, window_end), issuer)
            export = with_defects(geo.relabel_communes(export, stamp, "MaXaThuongTru"), rng)
            write_report(root / issuer / name, export, issuer)
            written[dataset] += export.height
    return written
