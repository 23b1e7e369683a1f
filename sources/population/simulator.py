"""Simulated population extracts: one file a quarter, residents by commune, age band and sex.

Commune sizes come from ``sources/geo.py`` (730,000 people, about 520,000 of
them adults), each commune with its own age structure and a slow growth, so
the figures are the same whatever range is simulated. The certificate
simulator draws its adults from ``adults()`` here, so the two sources agree.
Every file also carries what a real extract carries: a band the register
could not place ("Chưa xác định"), a commune of the neighbouring city and a
line sent twice.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from sources import geo
from sources.population import constants as c

BASE_SHARES: dict[str, float] = {
    "0-4": 0.075,
    "5-9": 0.080,
    "10-14": 0.080,
    "15-17": 0.050,
    "18-24": 0.100,
    "25-34": 0.150,
    "35-44": 0.155,
    "45-59": 0.170,
    "60+": 0.140,
}
GROWTH_FROM = date(2025, 1, 1)
FOREIGN_COMMUNE = ("31117", "925", "Phường Cái Khế")  # Ninh Kiều, Cần Thơ: not in the province


def band_shares(unit_code: str) -> dict[str, float]:
    """The commune's age structure: the province's, each band shifted by up to ±8%."""
    raw = {
        b: s * (0.92 + 0.16 * geo.stable_fraction("age", unit_code, b))
        for b, s in BASE_SHARES.items()
    }
    total = sum(raw.values())
    return {b: v / total for b, v in raw.items()}


def residents(commune: geo.Commune, day: date, scale: float = 1.0) -> int:
    growth = 0.002 + 0.006 * geo.stable_fraction("growth", commune.code)
    years = (day - GROWTH_FROM).days / 365.25
    return round(commune.population * (1 + growth * years) * scale)


def band_counts(commune: geo.Commune, day: date, scale: float = 1.0) -> dict[str, tuple[int, int]]:
    """Age band -> (male, female) residents of the commune on ``day``."""
    total = residents(commune, day, scale)
    out = {}
    for band, share in band_shares(commune.code).items():
        n = round(total * share)
        male = round(n * (0.485 + 0.03 * geo.stable_fraction("sex", commune.code, band)))
        out[band] = (male, n - male)
    return out


def adults(commune: geo.Commune, day: date, scale: float = 1.0) -> int:
    return sum(
        m + f
        for band, (m, f) in band_counts(commune, day, scale).items()
        if c.AGE_BANDS[band] >= c.ADULT_AGE
    )


def quarter_ends(start: date, end: date) -> list[date]:
    days = []
    for year in range(start.year, end.year + 1):
        for month, day in ((3, 31), (6, 30), (9, 30), (12, 31)):
            d = date(year, month, day)
            if start <= d <= end:
                days.append(d)
    return days


def labels(commune: geo.Commune, day: date) -> list[str]:
    """MaTinh, MaHuyen, MaXa, TenXa of a commune in an extract cut off on ``day``: from 1/7/2025
    Cần Thơ (92), no district, the new unit the commune went into."""
    code, name = geo.commune_label(commune.code, day)
    return [
        geo.province_code_on(day),
        geo.district_code_on(commune.district_code, day),
        code,
        name,
    ]


def extract_rows(day: date, scale: float) -> list[list[str]]:
    """One row per unit of ``day`` and age band (a new unit: the sum of the communes it took in)."""
    stamp = day.strftime(c.DATE_FORMAT)
    counts: dict[tuple[str, ...], list[int]] = {}
    for commune in geo.communes():
        for band, (male, female) in band_counts(commune, day, scale).items():
            total = counts.setdefault((*labels(commune, day), band), [0, 0])
            total[0] += male
            total[1] += female
    return [
        [*key, str(male), str(female), str(male + female), stamp]
        for key, (male, female) in counts.items()
    ]


def with_defects(rows: list[list[str]], day: date) -> list[list[str]]:
    """What real extracts carry besides the clean rows (each is kept out by staging)."""
    stamp = day.strftime(c.DATE_FORMAT)
    communes = geo.communes()
    out = list(rows)
    for i in range(3):  # residents the register holds without a birth date
        commune = communes[(day.month * 7 + i * 23) % len(communes)]
        out.append(
            [
                *labels(commune, day),
                "Chưa xác định",
                "2",
                "1",
                "3",
                stamp,
            ]
        )
    code, district, name = FOREIGN_COMMUNE
    out.append(["92", district, code, name, "18-24", "812", "790", "1602", stamp])
    out.insert(len(rows) // 2, rows[(day.month * 11) % len(rows)])  # a line sent twice
    return out


def write_extract(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(c.COLUMNS)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))


def simulate(
    landing_root: str | Path, start: date, end: date, scale: float = 1.0, seed: int = 190
) -> dict[str, int]:
    """Write the quarterly extracts whose cut-off day falls in [start, end]; return rows per dataset.

    The figures depend only on the day (the register is the same whatever
    range is asked for); ``seed`` is accepted for the common interface.
    """
    folder = Path(landing_root) / c.SOURCE / "dotuoi"
    n = 0
    for day in quarter_ends(start, end):
        rows = with_defects(extract_rows(day, scale), day)
        write_extract(folder / f"danso_dotuoi_{day:%Y%m%d}.csv", rows)
        n += len(rows)
    return {"age_band": n}
