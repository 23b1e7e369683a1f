"""Simulated quarterly inventory workbooks of state information systems, deterministic from a seed.

Each agency owns a few systems (the Department of Information and
Communications the shared provincial platforms, departments and districts
their portals, networks and databases, communes a web page and a LAN). Every
system has a life drawn once from the seed — in service from, out of service
from, security level proposed, approved on (or never), security plan partly
and then fully in place on — and each quarter's workbook shows the state at
the quarter's end. Approval and implementation depend on the owner's
maturity (``geo.maturity``) and speed up in 2025 (the plan's deadline), so
some units reach 100% and others do not. A few cells are spoilt the way
hand-kept workbooks are (a level of 6, an impossible date, an unknown owner,
a row copied twice). From 1/7/2025 a workbook names the owner of that date
(``geo.owner_on``: the successor department, the new unit's People's Committee;
a district's systems go to the People's Committee of its first commune's new unit).
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from sources import geo
from sources.ict import constants as c

DOIC = "000.10.00.H93"
OUTSIDE_INVENTORY = {"000.20.00.H93"}  # the police's systems are the Ministry of Public Security's
PROVINCIAL_PLATFORMS = [  # (name, proposed level), owned by the DoIC
    ("Trung tâm dữ liệu tỉnh Hậu Giang", 4),
    ("Nền tảng tích hợp, chia sẻ dữ liệu tỉnh (LGSP)", 3),
    ("Hệ thống quản lý văn bản và điều hành tỉnh", 3),
    ("Hệ thống thông tin giải quyết thủ tục hành chính tỉnh", 3),
    ("Cổng thông tin điện tử tỉnh Hậu Giang", 3),
    ("Hệ thống thư điện tử công vụ tỉnh", 2),
    ("Hệ thống hội nghị truyền hình trực tuyến tỉnh", 2),
    ("Mạng truyền số liệu chuyên dùng cấp II tỉnh", 3),
    ("Hệ thống giám sát, điều hành an toàn thông tin (SOC) tỉnh", 3),
    ("Trung tâm giám sát, điều hành đô thị thông minh (IOC) tỉnh", 3),
]
DEPARTMENT_SYSTEMS = [
    ("Trang thông tin điện tử {owner}", 2),
    ("Hệ thống mạng nội bộ (LAN) {owner}", 2),
    ("Cơ sở dữ liệu chuyên ngành {owner}", 3),
    ("Phần mềm quản lý chuyên ngành {owner}", 2),
    ("Hệ thống camera giám sát trụ sở {owner}", 1),
    ("Phần mềm quản lý cán bộ, công chức {owner}", 2),
    ("Hệ thống sao lưu dữ liệu {owner}", 2),
]
DISTRICT_SYSTEMS = [
    ("Cổng thông tin điện tử {unit}", 2),
    ("Hệ thống mạng nội bộ (LAN) UBND {unit}", 2),
    ("Hệ thống hội nghị truyền hình trực tuyến {unit}", 2),
    ("Hệ thống camera giám sát an ninh trật tự {unit}", 2),
    ("Cơ sở dữ liệu đất đai {unit}", 3),
]
COMMUNE_SYSTEMS = [
    ("Trang thông tin điện tử {unit}", 1),
    ("Hệ thống mạng nội bộ (LAN) UBND {unit}", 1),
]
PER_OWNER = {"province": (3, 7), "district": (3, 5), "commune": (1, 2)}
OPERATORS = ["Trung tâm Công nghệ thông tin và Truyền thông", "VNPT Hậu Giang", "Viettel Hậu Giang"]
BROKEN_SHARE = 0.012
HORIZON = date(2026, 12, 31)  # events drawn beyond this never happen in the simulation
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Đặng", "Bùi", "Lâm"]
MIDDLE = ["Văn", "Thị", "Minh", "Thanh", "Ngọc", "Hữu", "Quốc"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hà",
    "Hùng",
    "Khoa",
    "Lan",
    "Nam",
    "Phúc",
    "Tâm",
    "Trung",
    "Vy",
]


@dataclass(frozen=True)
class System:
    code: str
    name: str
    owner: str
    owner_name: str
    operator: str
    proposed: int
    approved_level: int
    decision: str
    approved_on: date | None
    partial_on: date | None
    full_on: date | None
    in_service_from: date
    in_service_to: date | None
    text_dates: bool  # this system's dates were typed as text


def ascii_fold(text: str) -> str:
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


def issuer(agency: dict, level: int) -> str:
    """Who signs the approval: the owner for levels 1–2, the People's Committee above (Decree 85 art. 12)."""
    if agency["agency_level"] != "province" or level >= 3:
        return "UBND"
    return "".join(w[0] for w in ascii_fold(agency["name_vi"]).split() if w[0].isalpha()).upper()


def short_name(agency: dict) -> str:
    return re.sub(r"^Ủy ban nhân dân ", "", agency["name_vi"])


def day_between(rng: np.random.Generator, first: date, last: date) -> date:
    span = max((last - first).days, 0)
    return first + timedelta(days=int(rng.integers(0, span + 1)))


def templates(agency: dict, rng: np.random.Generator) -> list[tuple[str, int]]:
    """The systems an agency owns (name, proposed level)."""
    level = agency["agency_level"]
    low, high = PER_OWNER[level]
    k = int(rng.integers(low, high + 1))
    if level == "province":
        pool, fill = DEPARTMENT_SYSTEMS, {"owner": agency["name_vi"]}
    elif level == "district":
        pool, fill = DISTRICT_SYSTEMS, {"unit": short_name(agency)}
    else:
        pool, fill = COMMUNE_SYSTEMS, {"unit": short_name(agency)}
    chosen = sorted(rng.choice(len(pool), size=min(k, len(pool)), replace=False).tolist())
    own = [(pool[i][0].format(**fill), pool[i][1]) for i in chosen]
    return (PROVINCIAL_PLATFORMS + own) if agency["agency_code"] == DOIC else own


def life(agency: dict, name: str, proposed: int, rng: np.random.Generator) -> dict:
    """When the system came into service, was approved, had its plan partly and fully in place."""
    maturity = geo.maturity(
        agency["agency_code"] if agency["agency_level"] == "province" else agency["unit_code"]
    )
    new = rng.random() < 0.07
    start = (
        day_between(rng, date(2025, 1, 15), date(2025, 11, 30))
        if new
        else day_between(rng, date(2011, 1, 1), date(2024, 6, 30))
    )
    retired = (
        None
        if new or rng.random() > 0.03
        else day_between(rng, date(2024, 1, 1), date(2025, 10, 31))
    )
    p_approved = np.clip(
        0.86
        + 0.18 * maturity
        - 0.06 * (proposed >= 3)
        + 0.08 * (agency["agency_level"] == "province"),
        0.25,
        0.995,
    )
    approved_on = None
    if rng.random() < p_approved:
        year = int(
            rng.choice(np.arange(2018, 2026), p=np.array([4, 6, 8, 10, 11, 13, 18, 30]) / 100)
        )
        approved_on = day_between(rng, date(year, 1, 2), date(year, 12, 20))
        earliest = start - timedelta(days=120)  # a new system is classified at design stage
        if approved_on < earliest:
            approved_on = min(
                earliest + timedelta(days=int(rng.integers(0, 200))), date(2025, 12, 20)
            )
    partial_on = full_on = None
    if approved_on:
        partial_on = approved_on + timedelta(days=int(rng.integers(20, 150)))
        p_full = np.clip(0.78 + 0.22 * maturity - 0.10 * (proposed >= 3), 0.1, 0.98)
        if rng.random() < p_full:
            full_on = partial_on + timedelta(days=int(rng.integers(30, 360)))
    elif rng.random() < 0.3:
        partial_on = day_between(rng, date(2023, 1, 1), date(2025, 11, 30))
    approved_level = proposed if rng.random() < 0.95 else max(1, proposed - 1)
    return {
        "in_service_from": start,
        "in_service_to": retired,
        "approved_on": approved_on,
        "approved_level": approved_level,
        "partial_on": partial_on,
        "full_on": full_on,
    }


@cache
def inventory(seed: int) -> tuple[System, ...]:
    """Every system the province will ever have listed, with its whole life (independent of any range)."""
    systems = []
    number = 0
    for agency in geo.agencies(geo.LAST_OLD_DAY):
        if agency["agency_code"] in OUTSIDE_INVENTORY:
            continue
        rng = np.random.default_rng(
            [seed, 16, int(geo.stable_fraction("ict-owner", agency["agency_code"]) * 2**31)]
        )
        for name, base_level in templates(agency, rng):
            number += 1
            proposed = int(min(5, max(1, base_level + (1 if rng.random() < 0.08 else 0))))
            event = life(agency, name, proposed, rng)
            decision_no = int(rng.integers(15, 2400))
            approved_on = event["approved_on"]
            systems.append(
                System(
                    code=f"HTTT-H93-{number:04d}",
                    name=name,
                    owner=agency["agency_code"],
                    owner_name=agency["name_vi"],
                    operator=OPERATORS[int(rng.integers(len(OPERATORS)))],
                    proposed=proposed,
                    approved_level=event["approved_level"],
                    decision=f"{decision_no}/QĐ-{issuer(agency, proposed)}" if approved_on else "",
                    approved_on=approved_on,
                    partial_on=event["partial_on"],
                    full_on=event["full_on"],
                    in_service_from=event["in_service_from"],
                    in_service_to=event["in_service_to"],
                    text_dates=rng.random() < 0.04,
                )
            )
    return tuple(systems)


@cache
def contacts(seed: int) -> dict[str, tuple[str, str]]:
    """One contact officer (name, mobile) per owner agency: personal data the workbook carries."""
    rng = np.random.default_rng([seed, 16, 1])
    out = {}
    for agency in geo.agencies(geo.LAST_OLD_DAY):
        name = f"{SURNAMES[rng.integers(len(SURNAMES))]} {MIDDLE[rng.integers(len(MIDDLE))]} {GIVEN[rng.integers(len(GIVEN))]}"
        out[agency["agency_code"]] = (name, f"09{int(rng.integers(10_000_000, 99_999_999))}")
    return out


def kept(system: System, seed: int, scale: float) -> bool:
    """At a small scale keep a share of the systems (never fewer than 15%, so tests still have data)."""
    return geo.stable_fraction("ict-keep", seed, system.code) < max(min(scale, 1.0), 0.15)


def listed(system: System, as_of: date) -> bool:
    """In the inventory at ``as_of``: in service, or retired less than a year before."""
    if system.in_service_from > as_of:
        return False
    return system.in_service_to is None or system.in_service_to > as_of - timedelta(days=365)


def as_cell(day: date | None, as_text: bool) -> object:
    if day is None:
        return None
    return day.strftime("%d/%m/%Y") if as_text else datetime(day.year, day.month, day.day)


def row_of(system: System, as_of: date, seed: int) -> list:
    """The inventory row of a system as it stood at ``as_of``."""
    approved = system.approved_on is not None and system.approved_on <= as_of
    plan: str | None
    plan_on: date | None
    if system.full_on and system.full_on <= as_of:
        plan, plan_on = "Đã triển khai đầy đủ", system.full_on
    elif system.partial_on and system.partial_on <= as_of:
        plan, plan_on = "Đang triển khai một phần", system.partial_on
    else:
        plan, plan_on = ("Chưa triển khai" if approved else None), None
    retired = (
        system.in_service_to if system.in_service_to and system.in_service_to <= as_of else None
    )
    contact_name, contact_phone = contacts(seed)[system.owner]
    note = None if approved else "Đang hoàn thiện hồ sơ đề xuất cấp độ"
    owner = geo.owner_on(system.owner, as_of)  # the agency holding it at the quarter's end
    return [
        None,
        system.code,
        system.name,
        owner,
        system.owner_name if owner == system.owner else geo.agency_name(owner),
        system.operator,
        system.proposed,
        system.approved_level if approved else None,
        system.decision if approved else None,
        as_cell(system.approved_on if approved else None, system.text_dates),
        plan,
        as_cell(plan_on, system.text_dates),
        as_cell(system.in_service_from, False),
        as_cell(retired, False),
        contact_name,
        contact_phone,
        note,
    ]


def spoil(rows: list[list], seed: int, as_of: date) -> list[list]:
    """A few cells typed wrong, the way hand-kept workbooks are; each kind caught by a staging rule."""
    rng = np.random.default_rng([seed, 16, 2, as_of.toordinal()])
    col = {name: i for i, name in enumerate(c.SYSTEM_COLUMNS)}
    out = []
    for row in rows:
        row = list(row)
        if rng.random() < BROKEN_SHARE:
            kind = int(rng.integers(0, 4))
            if kind == 0:
                row[col[c.PROPOSED_LEVEL]] = 6
            elif kind == 1:
                row[col[c.APPROVED_ON]] = f"31/02/{as_of.year}"
            elif kind == 2:
                row[col[c.OWNER]] = "000.99.00.H93"
            else:
                out.append(list(row))  # the row pasted twice
        out.append(row)
    for number, row in enumerate(out, start=1):
        row[0] = number
    return out


def quarter_end(year: int, quarter: int) -> date:
    return (date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)) - timedelta(
        days=1
    )


def delivery_day(seed: int, year: int, quarter: int) -> date:
    """In the first half of the month after the quarter: the 5th to the 15th."""
    return quarter_end(year, quarter) + timedelta(
        days=5 + int(geo.stable_fraction("ict-delivery", seed, year, quarter) * 11)
    )


def quarters_delivered(seed: int, start: date, end: date) -> list[tuple[int, int]]:
    out = []
    for year in range(start.year - 1, end.year + 1):
        for quarter in (1, 2, 3, 4):
            if start <= delivery_day(seed, year, quarter) <= end:
                out.append((year, quarter))
    return out


def workbook_bytes(rows: list[list], as_of: date, stamp: datetime) -> bytes:
    """The workbook as the Department's staff keep it: title block, header row, rows, a footer."""
    wb = Workbook()
    ws = wb.active
    ws.title = c.SHEET
    width = len(c.SYSTEM_COLUMNS)
    ws.append([c.TITLE])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws["A1"].font = Font(bold=True, size=13)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append([f"(Số liệu tính đến ngày {as_of:%d/%m/%Y})"])
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    ws.append([])
    ws.append(c.SYSTEM_COLUMNS)
    for cell in ws[4]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    date_columns = {
        i + 1
        for i, name in enumerate(c.SYSTEM_COLUMNS)
        if name in (c.APPROVED_ON, c.PLAN_DATE, c.IN_SERVICE_FROM, c.IN_SERVICE_TO)
    }
    for row in rows:
        ws.append(row)
        for col in date_columns:
            cell = ws.cell(row=ws.max_row, column=col)
            if isinstance(cell.value, datetime):
                cell.number_format = "DD/MM/YYYY"
    ws.append([])
    ws.append([f"Tổng số: {len(rows)} hệ thống thông tin"])
    wb.properties.creator = (
        "Sở Khoa học và Công nghệ thành phố Cần Thơ"
        if geo.after_change(as_of)
        else "Sở Thông tin và Truyền thông tỉnh Hậu Giang"
    )
    wb.properties.created = stamp
    buffer = io.BytesIO()
    wb.save(buffer)
    return fixed_zip(buffer.getvalue(), stamp)


def fixed_zip(data: bytes, stamp: datetime) -> bytes:
    """Re-pack an .xlsx with fixed entry times and modified date, so the same input gives the same bytes."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + iso.encode() + rb"\g<2>",
                    content,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, content)
    return out.getvalue()


def file_path(landing_root: Path, year: int, quarter: int, delivered: date) -> Path:
    name = f"DanhMucHTTT_{year}Q{quarter}_{delivered:%Y%m%d}.xlsx"
    return Path(landing_root) / c.SOURCE / "danhmuc" / str(year) / name


def simulate(
    landing_root: Path | str, start: date, end: date, scale: float = 1.0, seed: int = 190
) -> dict[str, int]:
    """Write the quarterly workbooks delivered in [start, end]; return the number of files and rows."""
    systems = [s for s in inventory(seed) if kept(s, seed, scale)]
    files = rows_written = 0
    for year, quarter in quarters_delivered(seed, start, end):
        as_of = quarter_end(year, quarter)
        delivered = delivery_day(seed, year, quarter)
        rows = spoil([row_of(s, as_of, seed) for s in systems if listed(s, as_of)], seed, as_of)
        path = file_path(Path(landing_root), year, quarter, delivered)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(
            workbook_bytes(rows, as_of, datetime(delivered.year, delivered.month, delivered.day, 8))
        )
        files += 1
        rows_written += len(rows)
    return {"files": files, "system": rows_written}
