"""Simulated month-end lists of the province's examination and treatment facilities.

About 120 facilities: provincial hospitals (public) and two private ones, a
health centre per district, a health station per commune (``sources/geo.py``)
and private clinics, most in the wards; a few clinics open during 2025 and
one closes. Hospitals and health centres went live with the e-health book on
VNeID in the second half of 2024; commune stations follow through 2025 and
2026, sooner in the more mature communes (``geo.maturity``); private clinics
later, and some not at all. Each list carries a pharmacy (not a facility
type here), a clinic of the neighbouring city and a line sent twice.

Facilities and their days depend only on the seed; the range decides which
month-end lists are written.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sources import geo
from sources.health import constants as c

PROVINCIAL = [  # name, commune
    ("Bệnh viện Đa khoa tỉnh Hậu Giang", "31318"),
    ("Bệnh viện Sản - Nhi tỉnh Hậu Giang", "31321"),
    ("Bệnh viện Chuyên khoa Tâm thần và Da liễu tỉnh Hậu Giang", "31324"),
    ("Bệnh viện Phổi tỉnh Hậu Giang", "31327"),
    ("Bệnh viện Đa khoa khu vực Ngã Bảy", "31340"),
]
PRIVATE_HOSPITALS = [
    ("Bệnh viện Đa khoa tư nhân Số 10", "31318"),
    ("Bệnh viện Đa khoa Hòa Hảo Vị Thanh", "31330"),
]
CLINIC_WORDS = [
    "An Phước",
    "Hòa Bình",
    "Tâm Đức",
    "Phước An",
    "Thiện Nhân",
    "Minh Tâm",
    "Bình An",
    "Sài Gòn",
    "Nhân Ái",
    "Hoàn Mỹ",
]
CLINICS = 30
OPENINGS_FROM = date(2025, 2, 1)
FOREIGN = (
    "92150",
    "Phòng khám Đa khoa Cái Khế",
    "Phòng khám",
    "Tư nhân",
    "31117",
)  # Cần Thơ: not ours


@dataclass(frozen=True)
class Facility:
    code: str
    name: str
    type_vi: str
    ownership_vi: str
    commune: str
    opened: date = date(2000, 1, 1)
    closed: date | None = None


def facilities(seed: int) -> list[Facility]:
    communes = geo.communes()
    out = [
        Facility(f"930{k + 1:02d}", name, "Bệnh viện", "Công lập", commune)
        for k, (name, commune) in enumerate(PROVINCIAL)
    ]
    out += [
        Facility(f"930{k + 60:02d}", name, "Bệnh viện", "Tư nhân", commune)
        for k, (name, commune) in enumerate(PRIVATE_HOSPITALS)
    ]
    districts = [u for u in geo.units(geo.LAST_OLD_DAY) if u["admin_level"] == "district"]
    for k, d in enumerate(districts):
        seat = next(cm for cm in communes if cm.district_code == d["unit_code"])
        out.append(
            Facility(
                f"930{k + 20:02d}",
                f"Trung tâm Y tế {d['name_vi']}",
                "Trung tâm y tế",
                "Công lập",
                seat.code,
            )
        )
    for k, cm in enumerate(communes):
        out.append(
            Facility(f"93{k + 100:03d}", f"Trạm Y tế {cm.name}", "Trạm y tế", "Công lập", cm.code)
        )
    weights = [
        (3.0 if cm.unit_type in ("Phường", "Thị trấn") else 0.4) * cm.population for cm in communes
    ]
    total = sum(weights)
    for k in range(CLINICS):
        pick, acc = geo.stable_fraction("clinic-site", seed, k) * total, 0.0
        site = communes[-1]
        for cm, w in zip(communes, weights, strict=True):
            acc += w
            if pick < acc:
                site = cm
                break
        opened = date(2000, 1, 1)
        if k >= CLINICS - 4:  # four clinics open during the year
            opened = OPENINGS_FROM + timedelta(
                days=round(300 * geo.stable_fraction("opened", seed, k))
            )
        closed = date(2025, 8, 31) if k == 0 else None
        out.append(
            Facility(
                f"93{k + 300:03d}",
                f"Phòng khám Đa khoa {CLINIC_WORDS[k % len(CLINIC_WORDS)]}"
                + (f" {k // len(CLINIC_WORDS) + 1}" if k >= len(CLINIC_WORDS) else ""),
                "Phòng khám",
                "Tư nhân",
                site.code,
                opened,
                closed,
            )
        )
    return out


def live_since(f: Facility, seed: int) -> date | None:
    """The day the facility runs the e-health book on VNeID (may lie in the future; None: never)."""
    u = geo.stable_fraction("vneid", seed, f.code)
    m = geo.maturity(f.commune)
    if f.type_vi in ("Bệnh viện", "Trung tâm y tế") and f.ownership_vi == "Công lập":
        start, days = date(2024, 7, 1), 240
    elif f.type_vi == "Trạm y tế":
        u = min(max(u - 0.25 * m, 0.0), 1.0)
        start, days = date(2024, 9, 1), 560
    else:
        if u > 0.7:
            return None
        start, days = max(date(2025, 1, 1), f.opened), 480
        u = u / 0.7
    return start + timedelta(days=round(u * days))


def month_ends(start: date, end: date) -> list[date]:
    out: list[date] = []
    y, m = start.year, start.month
    while True:
        last = date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)
        if last > end:
            return out
        out.append(last)
        y, m = y + (m == 12), m % 12 + 1


def list_rows(all_facilities: list[Facility], day: date, seed: int) -> list[list[str]]:
    rows = []
    for f in all_facilities:
        if f.opened > day or (f.closed is not None and f.closed <= day):
            continue
        since = live_since(f, seed)
        shown = since.strftime(c.DATE_FORMAT) if since is not None and since <= day else ""
        commune = geo.unit_code_on(f.commune, day)  # the new unit's code from 1/7/2025
        rows.append([f.code, f.name, f.type_vi, f.ownership_vi, commune, shown])
    rows.append(
        ["93900", "Nhà thuốc Hồng Phát", "Nhà thuốc", "Tư nhân", rows[0][4], ""]
    )  # not a facility type
    rows.append(list(FOREIGN) + [""])
    rows.insert(len(rows) // 2, rows[day.month % len(rows)])  # a line sent twice
    return rows


def write_list(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=c.SEPARATOR, lineterminator="\r\n")
    writer.writerow(c.COLUMNS)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))


def simulate(
    landing_root: str | Path, start: date, end: date, scale: float = 1.0, seed: int = 190
) -> dict[str, int]:
    """Write the month-end lists in [start, end]; ``scale`` does not change a province's facilities."""
    folder = Path(landing_root) / c.SOURCE / "cskcb"
    found = facilities(seed)
    n = 0
    for day in month_ends(start, end):
        rows = list_rows(found, day, seed)
        write_list(folder / f"dmcskcb_{day:%Y%m%d}.csv", rows)
        n += len(rows)
    return {"facility": n}
