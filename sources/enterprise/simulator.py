"""Simulated enterprise survey exports: deterministic from the seed, sized from ``sources/geo.py``.

A fixed pool of enterprises (founded 2000–2027, some dissolved since) is drawn
once from the seed, independent of the range asked for, so the same
enterprise keeps its tax code, commune and propensities from one year's
survey to the next. A survey of year Y lists the enterprises registered by Y
and not dissolved before Y; adoption of e-contracts and digital platforms
rises over the years and with each commune's ``geo.maturity``. About 0.6 % of
rows carry the faults real exports carry (unknown commune, malformed tax
code, labels outside the code lists, negative headcount), and a few rows are
sent twice.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from sources import geo
from sources.enterprise import constants as c

POOL_AT_SCALE_1 = 5_900  # gives ~3,500 active enterprises in 2025
SECTION_SHARE = {
    "G": 0.40,
    "C": 0.09,
    "F": 0.13,
    "A": 0.05,
    "H": 0.06,
    "I": 0.08,
    "L": 0.03,
    "M": 0.04,
    "N": 0.04,
    "J": 0.02,
    "S": 0.03,
    "E": 0.01,
    "P": 0.01,
    "Q": 0.01,
    "K": 0.005,
    "R": 0.005,
}
SIZE_SHARE = {"Siêu nhỏ": 0.68, "Nhỏ": 0.24, "Vừa": 0.05, "Lớn": 0.03}
EMPLOYEES = {"Siêu nhỏ": (1, 10), "Nhỏ": (10, 100), "Vừa": (100, 200), "Lớn": (200, 1500)}
SIZE_BONUS = {"Siêu nhỏ": -0.05, "Nhỏ": 0.03, "Vừa": 0.10, "Lớn": 0.15}
PLATFORM_ODDS = {
    "Hóa đơn điện tử": 0.75,
    "Kế toán": 0.45,
    "Chữ ký số": 0.40,
    "Quản lý bán hàng": 0.25,
    "Thương mại điện tử": 0.15,
    "Thanh toán điện tử": 0.20,
    "Hợp đồng điện tử": 0.15,
    "Quản trị nhân sự": 0.08,
    "Quản trị doanh nghiệp (ERP)": 0.03,
    "Quản lý quan hệ khách hàng (CRM)": 0.03,
    "Làm việc và họp trực tuyến": 0.10,
    "Lưu trữ đám mây": 0.06,
}
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
TRADE = [
    "Phát Đạt",
    "Thành Công",
    "Hậu Giang",
    "Mekong",
    "Tân Phú",
    "Minh Khang",
    "Sông Hậu",
    "Vạn Lợi",
    "Phú Thịnh",
    "Cửu Long",
    "An Bình",
    "Kim Ngân",
    "Trường Thịnh",
    "Hưng Phát",
]
FORMS = ["Công ty TNHH", "Công ty TNHH MTV", "Công ty Cổ phần", "Doanh nghiệp tư nhân"]
FAULTS = [
    "unknown_commune",
    "bad_tax_code",
    "bad_size",
    "bad_section",
    "negative_employees",
    "bad_platform",
    "missing_tax_code",
    "bad_year",
]


def _rng(seed: int, *parts: object) -> np.random.Generator:
    digest = hashlib.sha256("|".join(map(str, (seed, c.SOURCE, *parts))).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def _pool(scale: float, seed: int) -> pl.DataFrame:
    """The enterprises of the province over 2000–2027, with their fixed traits and propensities."""
    communes = geo.communes()
    n = max(20, round(POOL_AT_SCALE_1 * scale))
    rng = _rng(seed, "pool")
    urban = np.array([2.2 if x.unit_type in ("Phường", "Thị trấn") else 1.0 for x in communes])
    weight = np.array([x.population for x in communes]) * urban
    commune_idx = rng.choice(len(communes), size=n, p=weight / weight.sum())
    sections = rng.choice(list(SECTION_SHARE), size=n, p=_norm(SECTION_SHARE))
    sizes = rng.choice(list(SIZE_SHARE), size=n, p=_norm(SIZE_SHARE))
    founded = 2000 + np.floor(28 * rng.random(n) ** 0.55).astype(int)
    ends = founded + 1 + rng.geometric(0.045, size=n)  # the year it is dissolved in
    low = np.array([EMPLOYEES[s][0] for s in sizes])
    high = np.array([EMPLOYEES[s][1] for s in sizes])
    employees = (low + (high - low) * rng.random(n) ** 2).astype(int)
    serial = rng.permutation(np.arange(100_000, 100_000 + 3 * n))[:n]
    tax_codes = [f"63{s:08d}" for s in serial * 37 % 100_000_000]
    names = [
        f"{FORMS[i % len(FORMS)]} {TRADE[j]} {k}"
        for i, j, k in zip(
            rng.integers(0, 99, n),
            rng.integers(0, len(TRADE), n),
            rng.integers(1, 99, n),
            strict=True,
        )
    ]
    people = [
        f"{FAMILY[a]} {MIDDLE[b]} {GIVEN[d]}"
        for a, b, d in zip(
            rng.integers(0, len(FAMILY), n),
            rng.integers(0, len(MIDDLE), n),
            rng.integers(0, len(GIVEN), n),
            strict=True,
        )
    ]
    phones = [f"09{p:08d}" for p in rng.integers(0, 100_000_000, n)]
    return pl.DataFrame(
        {
            "MaSoThue": tax_codes,
            "TenDoanhNghiep": names,
            "NguoiDaiDienPhapLuat": people,
            "SoDienThoai": phones,
            "MaXa": [communes[i].code for i in commune_idx],
            "maturity": [geo.maturity(communes[i].code) for i in commune_idx],
            "QuyMo": sizes,
            "MaNganhKinhTe": sections,
            "founded": founded,
            "ends": ends,
            "employees": employees,
            "u_contract": rng.random(n),
            "u_platform": rng.random(n),
            "u_platforms": rng.random((n, len(PLATFORM_ODDS))).tolist(),
        }
    )


def _norm(shares: dict[str, float]) -> np.ndarray:
    p = np.array(list(shares.values()))
    return p / p.sum()


def survey_rows(pool: pl.DataFrame, year: int, seed: int) -> pl.DataFrame:
    """The survey of ``year``: one row per enterprise registered by then and not dissolved before."""
    rows = pool.filter((pl.col("founded") <= year) & (pl.col("ends") >= year))
    n = rows.height
    rng = _rng(seed, "survey", year)
    trend = 0.05 * (year - 2025)
    bonus = np.array([SIZE_BONUS[s] for s in rows["QuyMo"]])
    maturity = rows["maturity"].to_numpy()
    p_contract = np.clip(0.80 + 0.14 * maturity + trend + bonus / 2, 0.05, 0.99)
    p_platform = np.clip(0.52 + 0.20 * maturity + trend + bonus, 0.05, 0.99)
    contract = rows["u_contract"].to_numpy() < p_contract
    answered = rng.random(n) > 0.03
    uses_platform = rows["u_platform"].to_numpy() < p_platform
    odds = np.array(list(PLATFORM_ODDS.values()))
    chosen = np.array(rows["u_platforms"].to_list()) < odds if n else np.zeros((0, len(odds)), bool)
    platforms = []
    none_label = rng.random(n) < 0.5
    for i in range(n):
        if uses_platform[i]:
            names = [p for p, yes in zip(PLATFORM_ODDS, chosen[i], strict=True) if yes] or [
                "Hóa đơn điện tử"
            ]
            platforms.append(f"{c.PLATFORM_SEPARATOR} ".join(names))
        else:
            platforms.append(c.NO_PLATFORM[0] if none_label[i] else "")
    status_draw = rng.random(n)
    ends = rows["ends"].to_numpy()
    status = np.where(
        ends == year,
        np.where(status_draw < 0.5, "Đã giải thể", "Đang làm thủ tục giải thể"),
        np.where(
            status_draw < 0.92,
            "Đang hoạt động",
            np.where(
                status_draw < 0.97, "Tạm ngừng kinh doanh", "Không hoạt động tại địa chỉ đã đăng ký"
            ),
        ),
    )
    out = (
        rows.select(
            pl.lit(str(year)).alias("NamKhaoSat"),
            "MaSoThue",
            "TenDoanhNghiep",
            "NguoiDaiDienPhapLuat",
            "SoDienThoai",
            "MaXa",
            "QuyMo",
            "MaNganhKinhTe",
        )
        .with_columns(
            pl.Series("TinhTrangHoatDong", status, dtype=pl.String),
            pl.Series(
                "SoLaoDong",
                (rows["employees"] * (1 + 0.1 * (year - 2025)))
                .clip(1)
                .cast(pl.Int64)
                .cast(pl.String),
            ),
            pl.Series(
                "SuDungHopDongDienTu",
                np.where(~answered, "", np.where(contract, "Có", "Không")),
                dtype=pl.String,
            ),
            pl.Series("NenTangSoSuDung", platforms, dtype=pl.String),
        )
        .select(c.SURVEY_COLUMNS)
    )
    return _with_faults(out, rng)


def _with_faults(df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Spoil ~0.6 % of rows as real exports do, and send ~0.3 % twice."""
    n = df.height
    if n == 0:
        return df
    faulty = np.flatnonzero(rng.random(n) < 0.006)
    kinds = rng.integers(0, len(FAULTS), len(faulty))
    records = df.to_dicts()
    for i, k in zip(faulty, kinds, strict=True):
        r = records[i]
        match FAULTS[k]:
            case "unknown_commune":
                r["MaXa"] = "99999"
            case "bad_tax_code":
                r["MaSoThue"] = r["MaSoThue"][:8]
            case "bad_size":
                r["QuyMo"] = "Trung bình"
            case "bad_section":
                r["MaNganhKinhTe"] = "Z"
            case "negative_employees":
                r["SoLaoDong"] = "-" + r["SoLaoDong"]
            case "bad_platform":
                r["NenTangSoSuDung"] = "Zalo OA; Kế toán"
            case "missing_tax_code":
                r["MaSoThue"] = ""
            case "bad_year":
                r["NamKhaoSat"] = "2O" + r["NamKhaoSat"][2:]
    repeated = [records[i] for i in np.flatnonzero(rng.random(n) < 0.003)]
    return pl.DataFrame(records + repeated, schema={col: pl.String for col in c.SURVEY_COLUMNS})


def simulate(
    landing_root: str | Path, start: date, end: date, scale: float = 1.0, seed: int = 190
) -> dict[str, int]:
    """Write the surveys delivered in [start, end] below ``<landing_root>/enterprise/``; return counts."""
    month, day = c.KHAO_SAT_DELIVERY
    years = [y for y in range(start.year, end.year + 1) if start <= date(y, month, day) <= end]
    counts = {"files": 0, "survey": 0}
    if not years:
        return counts
    pool = _pool(scale, seed)
    for year in years:
        delivered = date(year, month, day)
        # the survey is closed on its delivery day: the head office's commune of that day
        df = geo.relabel_communes(survey_rows(pool, year, seed), delivered, "MaXa")
        path = (
            Path(landing_root)
            / c.SOURCE
            / "khaosat"
            / str(year)
            / f"khaosat_cds_{year}_{delivered:%Y%m%d}.csv"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        df.write_csv(path, include_bom=True)
        counts["files"] += 1
        counts["survey"] += df.height
    return counts
