"""Simulated education sector reports: institutions and their learners, at each report of the school year.

The institutions follow the communes of ``sources/geo.py``: in every commune
a preschool, one to three primary schools and a lower-secondary school
(more in the larger ones, private preschools in the wards), upper-secondary
schools and a continuing-education centre in every district, two public
colleges and a private university, about 340 institutions in all. Learners
follow the commune's population. The share of pupils with a digital school
record and of public institutions taking tuition without cash rises from
school year to school year, faster in the more mature communes
(``geo.maturity``): some reach 100% in 2024-2025, others do not.

The reports written are those due in [start, end]: start of year (mid
October), end of the first semester (January), end of year (June).
Institutions and rates depend only on the seed, not on the range.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sources import geo
from sources.education import constants as c

REPORT_DAY = {
    "DN": (10, 15),
    "HK1": (1, 20),
    "CN": (6, 15),
}  # month, day (HK1 and CN in the year it ends)
# share of pupils with a digital school record, by school year (start year), before unit differences
DIGITAL_RECORD_BASE = {2022: 0.15, 2023: 0.45, 2024: 0.93, 2025: 0.97, 2026: 0.99}
TERM_FACTOR = {"DN": 0.9, "HK1": 0.96, "CN": 1.0}
LEVEL_SHIFT = {
    "primary": 0.03,
    "lower_secondary": 0.0,
    "upper_secondary": 0.02,
    "continuing": -0.15,
    "college": 0.05,
    "university": 0.08,
    "preschool": 0.0,
}
CASHLESS_WINDOW = (date(2021, 9, 1), date(2026, 3, 1))
LEARNERS_PER_PERSON = {
    "preschool": 0.045,
    "primary": 0.078,
    "lower_secondary": 0.058,
    "upper_secondary": 0.038,
    "continuing": 0.004,
}
HIGHER = [  # name, level, ownership, commune, learners at scale 1
    ("Trường Cao đẳng Cộng đồng Hậu Giang", "Cao đẳng", "Công lập", "31318", 2200),
    ("Trường Cao đẳng Luật miền Nam", "Cao đẳng", "Công lập", "31321", 1300),
    ("Trường Đại học Võ Trường Toản", "Đại học", "Tư thục", "31360", 6500),
]
FOREIGN = (
    "92999901",
    "Trường Tiểu học Cái Khế",
    "Tiểu học",
    "Công lập",
    "31117",
)  # Cần Thơ: not ours


@dataclass(frozen=True)
class Institution:
    code: str
    name: str
    level_vi: str
    ownership_vi: str
    commune: str
    learners: float  # at scale 1, before growth

    @property
    def level(self) -> str:
        return c.LEVEL[self.level_vi]


def _short(name: str) -> str:
    """Xã Vị Tân -> Vị Tân; a ward named by a numeral keeps its prefix (Phường I)."""
    if name.split(" ")[-1].strip("IVX0123456789") == "":
        return name
    for prefix in ("Phường ", "Xã ", "Thị trấn ", "Thành phố ", "Huyện ", "Thị xã "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def institutions() -> list[Institution]:
    """Every institution of the province (the same on every run)."""
    out: list[Institution] = []
    for cm in geo.communes():
        short = _short(cm.name)
        urban = cm.unit_type in ("Phường", "Thị trấn")
        n_pre = 1 + (cm.population > 11_000)
        n_pri = 1 + (cm.population > 9_000) + (cm.population > 14_000)
        plan = [
            ("Mầm non", "Công lập", n_pre, "Trường Mầm non"),
            ("Tiểu học", "Công lập", n_pri, "Trường Tiểu học"),
            ("THCS", "Công lập", 1, "Trường THCS"),
        ]
        if urban and geo.stable_fraction("private-pre", cm.code) < 0.7:
            plan.append(("Mầm non", "Tư thục", 1, "Trường Mầm non tư thục"))
        for level_vi, ownership, n, label in plan:
            for k in range(n):
                suffix = f" {k + 1}" if n > 1 else ""
                digit = list(c.LEVEL).index(level_vi) + 1
                share = LEARNERS_PER_PERSON[c.LEVEL[level_vi]] * (
                    0.3 if ownership != "Công lập" else 1.0
                )
                out.append(
                    Institution(
                        f"{cm.code}{digit}{k + (5 if ownership != 'Công lập' else 0):02d}",
                        f"{label} {short}{suffix}",
                        level_vi,
                        ownership,
                        cm.code,
                        cm.population * share / n,
                    )
                )
    districts = [u for u in geo.units(geo.LAST_OLD_DAY) if u["admin_level"] == "district"]
    for d in districts:
        communes = [cm for cm in geo.communes() if cm.district_code == d["unit_code"]]
        people = sum(cm.population for cm in communes)
        n_upper = 2 + (people > 90_000)
        short = _short(d["name_vi"])
        for k in range(n_upper):
            cm = communes[(k * 3) % len(communes)]
            out.append(
                Institution(
                    f"{cm.code}4{k:02d}",
                    f"Trường THPT {_short(cm.name)}",
                    "THPT",
                    "Công lập",
                    cm.code,
                    people * LEARNERS_PER_PERSON["upper_secondary"] / n_upper,
                )
            )
        out.append(
            Institution(
                f"{communes[0].code}501",
                f"Trung tâm GDNN-GDTX {short}",
                "GDTX",
                "Công lập",
                communes[0].code,
                people * LEARNERS_PER_PERSON["continuing"],
            )
        )
        if d["unit_type_vi"] == "Thành phố":
            out.append(
                Institution(
                    f"{communes[1].code}405",
                    f"Trường THPT tư thục {short}",
                    "THPT",
                    "Tư thục",
                    communes[1].code,
                    people * 0.004,
                )
            )
    for k, (name, level_vi, ownership, commune, learners) in enumerate(HIGHER):
        digit = list(c.LEVEL).index(level_vi) + 1
        out.append(
            Institution(f"{commune}{digit}{k:02d}", name, level_vi, ownership, commune, learners)
        )
    return out


def school_years(start: date, end: date) -> list[tuple[int, str, date]]:
    """(start year of the school year, report, report day) of every report due in [start, end]."""
    out = []
    for y0 in range(start.year - 1, end.year + 1):
        for term, (month, day) in REPORT_DAY.items():
            when = date(y0 if term == "DN" else y0 + 1, month, day)
            if start <= when <= end:
                out.append((y0, term, when))
    return sorted(out, key=lambda r: r[2])


def cashless_since(inst: Institution, seed: int) -> date:
    """The day the institution starts taking tuition without cash (may lie in the future)."""
    m = geo.maturity(inst.commune)
    z = min(max(geo.stable_fraction("cashless", seed, inst.code) - 0.15 * m, 0.0), 1.0)
    first, last = CASHLESS_WINDOW
    return first + timedelta(days=round(z * (last - first).days))


def digital_share(inst: Institution, y0: int, term: str, seed: int) -> float:
    m = geo.maturity(inst.commune)
    noise = geo.stable_fraction("record", seed, inst.code, y0) - 0.5
    base = DIGITAL_RECORD_BASE.get(y0, 0.0 if y0 < 2022 else 1.0)
    share = base + 0.10 * m + 0.08 * noise + LEVEL_SHIFT[inst.level]
    return min(max(share, 0.0), 1.0) * TERM_FACTOR[term]


def learners(inst: Institution, y0: int, scale: float, seed: int) -> int:
    drift = 1 + 0.01 * (y0 - 2024) + 0.04 * (geo.stable_fraction("size", seed, inst.code, y0) - 0.5)
    return max(1, round(inst.learners * drift * scale))


def institution_rows(
    insts: list[Institution], y0: int, term: str, when: date, seed: int
) -> list[list[str]]:
    year, rows = f"{y0}-{y0 + 1}", []
    for inst in insts:
        since = cashless_since(inst, seed)
        shown = since.strftime(c.DATE_FORMAT) if since <= when else ""
        rows.append(
            [
                inst.code,
                inst.name,
                inst.level_vi,
                inst.ownership_vi,
                geo.unit_code_on(inst.commune, when),  # the new unit's code from 1/7/2025
                shown,
                year,
                term,
            ]
        )
    code, name, level_vi, ownership, commune = FOREIGN
    rows.append([code, name, level_vi, ownership, commune, "", year, term])  # a neighbour's school
    rows.append(
        [
            f"{insts[0].commune}899",
            "Trường Trung cấp Kinh tế - Kỹ thuật",
            "Trung cấp",
            "Công lập",
            geo.unit_code_on(insts[0].commune, when),
            "",
            year,
            term,
        ]
    )  # vocational: not a level of this database
    return rows


def enrolment_rows(
    insts: list[Institution], y0: int, term: str, scale: float, seed: int
) -> list[list[str]]:
    year, rows = f"{y0}-{y0 + 1}", []
    for inst in insts:
        n = learners(inst, y0, scale, seed)
        digital = str(round(n * digital_share(inst, y0, term, seed)))
        pupils = digital if inst.level in c.PUPIL_LEVELS else ""
        students = digital if inst.level in c.STUDENT_LEVELS else ""
        rows.append([inst.code, year, term, str(n), pupils, students])
    rows.append([FOREIGN[0], year, term, "412", "380", ""])  # the neighbour's school: unknown here
    rows.insert(len(rows) // 2, rows[(y0 * 7) % len(insts)])  # a line sent twice
    return rows


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buf.getvalue(), encoding="utf-8")


def simulate(
    landing_root: str | Path, start: date, end: date, scale: float = 1.0, seed: int = 190
) -> dict[str, int]:
    """Write the institution and learner exports of every report due in [start, end]."""
    root = Path(landing_root) / c.SOURCE
    insts = institutions()
    written = {"institution": 0, "enrolment": 0}
    for y0, term, when in school_years(start, end):
        tag = f"{y0}-{y0 + 1}_{term}_{when:%Y%m%d}"
        inst_rows = institution_rows(insts, y0, term, when, seed)
        write_csv(root / "truong" / f"truong_{tag}.csv", c.INSTITUTION_COLUMNS, inst_rows)
        enrol_rows = enrolment_rows(insts, y0, term, scale, seed)
        write_csv(root / "hocsinh" / f"hocsinh_{tag}.csv", c.ENROLMENT_COLUMNS, enrol_rows)
        written["institution"] += len(inst_rows)
        written["enrolment"] += len(enrol_rows)
    return written
