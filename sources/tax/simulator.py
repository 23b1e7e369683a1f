"""Simulated monthly snapshots of the tax department's retail-store register, deterministic from the seed.

A fixed pool of retail locations (opened 2010–2027, some closed since, a few
suspended for a while) is drawn once from the seed, independent of the range
asked for, so a store keeps its id, commune, line and adoption date from one
snapshot to the next. Registration for cash-register e-invoices starts in
July 2022 and climbs, with a step when Decree 70/2025/NĐ-CP makes it
compulsory for larger household businesses (1 June 2025); each commune's
level follows ``geo.maturity`` so some communes reach 80% and others do not.
About 0.4 % of rows carry the faults real extracts carry; a few rows are sent
twice. Household businesses' tax codes change from the 10-digit personal tax
code to the 12-digit citizen ID on 1 July 2025, as Circular 86/2024/TT-BTC
requires.
"""

from __future__ import annotations

import calendar
import hashlib
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from sources import geo
from sources.tax import constants as c

POOL_AT_SCALE_1 = 7_800  # gives ~3,600 stores in the register at the end of 2025
ORIGIN = date(2010, 1, 1)
CITIZEN_ID_AS_TAX_CODE = date(2025, 7, 1)
DECREE_70 = 2025 + 5 / 12  # 1 June 2025
LINE_SHARE = {
    "4711": 0.30,
    "4719": 0.08,
    "4721": 0.03,
    "4722": 0.11,
    "4723": 0.07,
    "4724": 0.02,
    "4730": 0.04,
    "4741": 0.04,
    "4742": 0.01,
    "4751": 0.02,
    "4752": 0.05,
    "4753": 0.01,
    "4759": 0.04,
    "4761": 0.02,
    "4763": 0.01,
    "4764": 0.01,
    "4771": 0.06,
    "4772": 0.05,
    "4773": 0.02,
    "4774": 0.005,
}
SHOP_WORD = {
    "4711": "Tạp hóa",
    "4719": "Cửa hàng",
    "4722": "Thực phẩm",
    "4723": "Đại lý bia nước ngọt",
    "4730": "Cửa hàng xăng dầu",
    "4741": "Điện thoại",
    "4752": "Vật liệu xây dựng",
    "4771": "Shop thời trang",
    "4772": "Nhà thuốc",
}
TYPES = {"Hộ kinh doanh": 0.82, "Doanh nghiệp": 0.14, "Cá nhân kinh doanh": 0.04}
FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Huỳnh",
    "Võ",
    "Phan",
    "Trương",
    "Bùi",
    "Đặng",
    "Đỗ",
    "Ngô",
]
MIDDLE = ["Văn", "Thị", "Minh", "Hoàng", "Thanh", "Ngọc", "Quốc", "Hữu"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hùng",
    "Lan",
    "Mai",
    "Nam",
    "Phúc",
    "Tâm",
    "Thảo",
    "Vy",
    "Khoa",
]
FAULTS = [
    "unknown_commune",
    "bad_tax_code",
    "unknown_line",
    "bad_date",
    "future_invoice",
    "bad_status",
    "missing_store",
]


def _rng(seed: int, *parts: object) -> np.random.Generator:
    digest = hashlib.sha256("|".join(map(str, (seed, c.SOURCE, *parts))).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def _years(d: np.ndarray) -> np.ndarray:
    """Days since ORIGIN -> fractional calendar year."""
    return 2010 + d / 365.25


def adoption_share(p_end: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Share of a commune's stores registered for cash-register e-invoices by time ``t`` (years)."""
    p = p_end - 0.20 * (2025.99 - t) - np.where(t < DECREE_70, 0.10, 0.0)
    return np.where(t < 2022.5, 0.0, np.clip(p, 0.0, 0.98))


def _pool(scale: float, seed: int) -> pl.DataFrame:
    communes = geo.communes()
    n = max(30, round(POOL_AT_SCALE_1 * scale))
    rng = _rng(seed, "pool")
    urban = np.array([1.8 if x.unit_type in ("Phường", "Thị trấn") else 1.0 for x in communes])
    weight = np.array([x.population for x in communes]) * urban
    idx = rng.choice(len(communes), size=n, p=weight / weight.sum())
    lines = rng.choice(list(LINE_SHARE), size=n, p=_norm(LINE_SHARE))
    types = rng.choice(list(TYPES), size=n, p=_norm(TYPES))
    horizon = (date(2027, 12, 31) - ORIGIN).days
    opened = np.floor(horizon * rng.random(n) ** 0.6).astype(int)
    closed = opened + np.floor(rng.exponential(9 * 365, n)).astype(int)
    suspended = rng.random(n) < 0.04
    pause_start = opened + np.floor(rng.random(n) * np.maximum(closed - opened, 1)).astype(int)
    pause_end = np.where(suspended, pause_start + rng.integers(30, 180, n), -1)
    p_end = np.clip(
        np.array([0.80 + 0.16 * geo.maturity(communes[i].code) for i in idx]), 0.55, 0.97
    )
    grid = 2022.5 + np.arange(0, 5.5 * 12) / 12  # month starts from July 2022
    share = adoption_share(p_end[:, None], grid[None, :])
    u = rng.random(n)
    reached = share >= u[:, None]
    first = np.where(reached.any(axis=1), reached.argmax(axis=1), -1)
    adopt_year = np.where(first >= 0, grid[np.maximum(first, 0)] + rng.random(n) / 12, np.nan)
    adopt_day = np.floor((adopt_year - 2010) * 365.25)
    adopt_day = np.where(np.isnan(adopt_day), -1, np.maximum(adopt_day, opened)).astype(int)
    adopt_day = np.where(adopt_day >= closed, -1, adopt_day)
    serial = rng.permutation(np.arange(n)) * 7 + 10_000_000
    people = [
        f"{FAMILY[a]} {MIDDLE[b]} {GIVEN[d]}"
        for a, b, d in zip(
            rng.integers(0, len(FAMILY), n),
            rng.integers(0, len(MIDDLE), n),
            rng.integers(0, len(GIVEN), n),
            strict=True,
        )
    ]
    company = [
        f"Công ty TNHH Thương mại {GIVEN[k]} {FAMILY[j]}"
        for j, k in zip(
            rng.integers(0, len(FAMILY), n), rng.integers(0, len(GIVEN), n), strict=True
        )
    ]
    is_company = types == "Doanh nghiệp"
    return pl.DataFrame(
        {
            "MaCuaHang": [f"CH{s:08d}" for s in serial],
            "enterprise_code": [f"63{s % 100_000_000:08d}" for s in serial * 13],
            "personal_code": [f"80{s % 100_000_000:08d}" for s in serial * 17],
            "citizen_id": [f"093{s % 1_000_000_000:09d}" for s in serial * 19],
            "TenNguoiNopThue": [
                co if comp else pe for co, pe, comp in zip(company, people, is_company, strict=True)
            ],
            "TenCuaHang": [
                f"{SHOP_WORD.get(li, 'Cửa hàng')} {pe.split()[-1]}"
                for li, pe in zip(lines, people, strict=True)
            ],
            "DiaChiKinhDoanh": [
                f"Số {h}, Ấp {k}, {communes[i].name}"
                for h, k, i in zip(
                    rng.integers(1, 400, n), rng.integers(1, 12, n), idx, strict=True
                )
            ],
            "SoDienThoai": [f"09{p:08d}" for p in rng.integers(0, 100_000_000, n)],
            "LoaiNguoiNopThue": types,
            "MaXa": [communes[i].code for i in idx],
            "MaNganhNghe": lines,
            "opened": opened,
            "closed": closed,
            "pause_start": pause_start,
            "pause_end": pause_end,
            "adopted": adopt_day,
            "u_info": rng.random(n),
            "u_pause": rng.random(n),
        }
    )


def _norm(shares: dict[str, float]) -> np.ndarray:
    p = np.array(list(shares.values()))
    return p / p.sum()


def _fmt(day: pl.Expr) -> pl.Expr:
    """Days since ORIGIN -> dd/mm/yyyy."""
    return (pl.lit(ORIGIN) + pl.duration(days=day)).dt.strftime(c.DATE_FORMAT)


def snapshot(pool: pl.DataFrame, day: date, seed: int) -> pl.DataFrame:
    """The register as it stood on ``day``: open stores, and closed ones for two months after closing."""
    d = (day - ORIGIN).days
    rows = pool.filter((pl.col("opened") <= d) & (pl.lit(d) < pl.col("closed") + 60))
    status = (
        pl.when(pl.col("closed") <= d)
        .then(pl.when(pl.lit(d) < pl.col("closed") + 30).then(pl.lit("03")).otherwise(pl.lit("01")))
        .when((pl.col("pause_start") <= d) & (pl.lit(d) <= pl.col("pause_end")))
        .then(pl.when(pl.col("u_pause") < 0.7).then(pl.lit("05")).otherwise(pl.lit("06")))
        .when((pl.col("LoaiNguoiNopThue") != "Doanh nghiệp") & (pl.col("u_info") < 0.05))
        .then(pl.lit("04"))
        .otherwise(pl.lit("00"))
    )
    tax_code = (
        pl.when(pl.col("LoaiNguoiNopThue") == "Doanh nghiệp")
        .then(pl.col("enterprise_code"))
        .when(pl.lit(day >= CITIZEN_ID_AS_TAX_CODE))
        .then(pl.col("citizen_id"))
        .otherwise(pl.col("personal_code"))
    )
    out = rows.select(
        pl.lit(day.strftime(c.DATE_FORMAT)).alias("NgayChotSoLieu"),
        "MaCuaHang",
        tax_code.alias("MaSoThue"),
        "TenNguoiNopThue",
        "TenCuaHang",
        "DiaChiKinhDoanh",
        "SoDienThoai",
        "LoaiNguoiNopThue",
        "MaXa",
        "MaNganhNghe",
        status.alias("TrangThaiMST"),
        _fmt(pl.col("opened")).alias("NgayBatDauKinhDoanh"),
        pl.when((pl.col("adopted") >= 0) & (pl.col("adopted") <= d))
        .then(_fmt(pl.col("adopted")))
        .otherwise(pl.lit(""))
        .alias("NgayDangKyHDDTMTT"),
    )
    out = geo.relabel_communes(out, day, "MaXa", address="DiaChiKinhDoanh")
    return _with_faults(out, _rng(seed, "faults", day), day)


def _with_faults(df: pl.DataFrame, rng: np.random.Generator, day: date) -> pl.DataFrame:
    """Spoil ~0.4 % of rows as real extracts do, and send ~0.2 % twice."""
    n = df.height
    if n == 0:
        return df
    faulty = np.flatnonzero(rng.random(n) < 0.004)
    kinds = rng.integers(0, len(FAULTS), len(faulty))
    records = df.to_dicts()
    for i, k in zip(faulty, kinds, strict=True):
        r = records[i]
        match FAULTS[k]:
            case "unknown_commune":
                r["MaXa"] = "31999"
            case "bad_tax_code":
                r["MaSoThue"] = r["MaSoThue"][:-2] + "AB"
            case "unknown_line":
                r["MaNganhNghe"] = "9999"
            case "bad_date":
                r["NgayBatDauKinhDoanh"] = "31/02/" + str(day.year - 1)
            case "future_invoice":
                r["NgayDangKyHDDTMTT"] = (day + timedelta(days=45)).strftime(c.DATE_FORMAT)
            case "bad_status":
                r["TrangThaiMST"] = "99"
            case "missing_store":
                r["MaCuaHang"] = ""
    repeated = [records[i] for i in np.flatnonzero(rng.random(n) < 0.002)]
    return pl.DataFrame(records + repeated, schema={col: pl.String for col in c.STORE_COLUMNS})


def month_ends(start: date, end: date) -> list[date]:
    out = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        last = date(y, m, calendar.monthrange(y, m)[1])
        if start <= last <= end:
            out.append(last)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def simulate(
    landing_root: str | Path, start: date, end: date, scale: float = 1.0, seed: int = 190
) -> dict[str, int]:
    """Write the month-end snapshots delivered in [start, end] below ``<landing_root>/tax/``; return counts."""
    counts = {"files": 0, "store": 0}
    days = month_ends(start, end)
    if not days:
        return counts
    pool = _pool(scale, seed)
    for day in days:
        df = snapshot(pool, day, seed)
        path = (
            Path(landing_root)
            / c.SOURCE
            / "cuahang"
            / str(day.year)
            / f"dscuahang_banle_{day:%Y%m%d}.csv"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        df.write_csv(path, separator=c.SEPARATOR)
        counts["files"] += 1
        counts["store"] += df.height
    return counts
