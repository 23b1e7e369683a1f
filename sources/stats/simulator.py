"""Simulate the statistics office's GRDP / digital-economy workbooks, deterministic from a seed.

The true (official) series is fixed by the seed alone, never by the range, so
two runs over different ranges agree: Hậu Giang's GRDP at current prices
~52,000 billion VND in 2022 growing ~6% a year; the digital economy's share
rising by about a point a year from ~8.5% (shifted by the province's
``geo.maturity``), so the 20% target is missed. Quarterly releases are
preliminary and revised at each later release (each shows last year in full and
this year's quarters to date); the yearly official release
(30 June of the next year) restates the year's quarters. The tables are the
province's totals, so ``scale`` changes nothing.

Written: every release dated on or before ``end`` whose year is 2022 or later
(the history T07 needs), i.e. the deliveries in [start, end] and the ones
before them.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from sources.geo import PROVINCE_CODE, maturity
from sources.stats import constants as c

FIRST_YEAR = 2022  # the history the indicator needs
QUARTER_WEIGHTS = (0.225, 0.245, 0.25, 0.28)
MONEY = ("grdp", "digital_economy", "digital_core", "digital_sectors")


@dataclass(frozen=True)
class Release:
    kind: str  # quarterly | yearly
    year: int
    quarter: int | None
    delivered: date

    @property
    def index(self) -> int:
        """Quarters since year 0 at this release (a yearly official release is final)."""
        return self.year * 4 + (self.quarter or 4) - 1

    def file_name(self) -> str:
        stamp = self.delivered.strftime("%Y%m%d")
        if self.kind == "quarterly":
            return f"quy/GRDP_KTS_Q{self.quarter}_{self.year}_{stamp}.xlsx"
        return f"nam/GRDP_KTS_NAM_{self.year}_{stamp}.xlsx"


def quarterly_release(year: int, quarter: int) -> Release:
    """The 6th of the month after the quarter (the GSO's release day)."""
    month = quarter * 3 + 1
    delivered = date(year + 1, 1, 6) if month == 13 else date(year, month, 6)
    return Release("quarterly", year, quarter, delivered)


def yearly_release(year: int) -> Release:
    return Release("yearly", year, None, date(year + 1, 6, 30))


def releases(end: date) -> list[Release]:
    out = [quarterly_release(y, q) for y in range(FIRST_YEAR, end.year + 1) for q in range(1, 5)]
    out += [yearly_release(y) for y in range(FIRST_YEAR, end.year + 1)]
    return sorted((r for r in out if r.delivered <= end), key=lambda r: (r.delivered, r.kind))


def official_quarters(seed: int, year: int) -> dict[int, dict[str, float]]:
    """The official values of a year's four quarters (billion VND), fixed by seed and year."""
    rng = random.Random(f"{seed}|stats|{year}")
    grdp_year = 52_000 * 1.06 ** (year - 2022) * (1 + rng.gauss(0, 0.01))
    share_year = 9.5 + 1.1 * (year - 2022) + 1.0 * maturity(PROVINCE_CODE) + rng.gauss(0, 0.3)
    weights = [w * (1 + rng.gauss(0, 0.02)) for w in QUARTER_WEIGHTS]
    out = {}
    for q, w in enumerate(weights, start=1):
        grdp = round(grdp_year * w / sum(weights), 1)
        digital = round(grdp * (share_year + rng.gauss(0, 0.4)) / 100, 1)
        core = round(digital * (0.6 + rng.gauss(0, 0.02)), 1)
        out[q] = {
            "grdp": grdp,
            "digital_economy": digital,
            "digital_core": core,
            "digital_sectors": round(digital - core, 1),
        }
    return out


def published_quarter(seed: int, year: int, quarter: int, release: Release) -> dict[str, float]:
    """A quarter as a release shows it: official once the year's official release is out, else a
    preliminary figure whose error shrinks with every later release."""
    official = official_quarters(seed, year)[quarter]
    if yearly_release(year).delivered <= release.delivered:
        return official
    rng = random.Random(f"{seed}|stats-prelim|{year}|{quarter}")
    errors = {"grdp": rng.gauss(0, 0.012), "digital_economy": rng.gauss(0, 0.03)}
    damp = 0.5 ** (release.index - (year * 4 + quarter - 1))
    grdp = round(official["grdp"] * (1 + errors["grdp"] * damp), 1)
    digital = round(official["digital_economy"] * (1 + errors["digital_economy"] * damp), 1)
    core = round(digital * official["digital_core"] / official["digital_economy"], 1)
    return {
        "grdp": grdp,
        "digital_economy": digital,
        "digital_core": core,
        "digital_sectors": round(digital - core, 1),
    }


def with_share(values: dict[str, float]) -> dict[str, float]:
    return {**values, "digital_share": round(100 * values["digital_economy"] / values["grdp"], 2)}


def columns_of(release: Release) -> list[tuple[int, int | None]]:
    """(year, quarter or None for the whole year) of each value column, left to right."""
    if release.kind == "yearly":
        return [(release.year, q) for q in (1, 2, 3, 4)] + [(release.year, None)]
    last_year: list[tuple[int, int | None]] = [(release.year - 1, q) for q in (1, 2, 3, 4)] + [
        (release.year - 1, None)
    ]
    this_year: list[tuple[int, int | None]] = [
        (release.year, q) for q in range(1, (release.quarter or 4) + 1)
    ]
    return last_year + this_year + ([(release.year, None)] if release.quarter == 4 else [])


def table(seed: int, release: Release) -> list[tuple[int, int | None, dict[str, float]]]:
    out: list[tuple[int, int | None, dict[str, float]]] = []
    for year, quarter in columns_of(release):
        if quarter is not None:
            out.append((year, quarter, with_share(published_quarter(seed, year, quarter, release))))
            continue
        quarters = [published_quarter(seed, year, q, release) for q in (1, 2, 3, 4)]
        out.append(
            (year, None, with_share({m: round(sum(v[m] for v in quarters), 1) for m in MONEY}))
        )
    return out


def build_workbook(seed: int, release: Release) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = c.SHEET
    values = table(seed, release)
    last = 3 + len(values)
    status = "Số liệu chính thức" if release.kind == "yearly" else "Số liệu sơ bộ"
    ws.cell(1, 1, c.TITLE.format(area="HẬU GIANG")).font = Font(bold=True, size=12)
    ws.cell(2, 1, f"({status})").font = Font(italic=True)
    for row in (1, 2):
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last)
        ws.cell(row, 1).alignment = Alignment(horizontal="center")
    for col, label in enumerate(("STT", "Chỉ tiêu", "Đơn vị tính"), start=1):
        ws.cell(4, col, label).font = Font(bold=True)
        ws.merge_cells(start_row=4, start_column=col, end_row=5, end_column=col)
    col = 4
    for year in sorted({y for y, _, _ in values}):
        span = [v for v in values if v[0] == year]
        ws.cell(4, col, f"Năm {year}").font = Font(bold=True)
        ws.merge_cells(start_row=4, start_column=col, end_row=4, end_column=col + len(span) - 1)
        for offset, (_, quarter, _) in enumerate(span):
            ws.cell(
                5, col + offset, f"Quý {c.ROMAN[quarter]}" if quarter else "Cả năm"
            ).font = Font(bold=True)
        col += len(span)
    for r, (code, label, unit, measure) in enumerate(c.ROWS, start=6):
        ws.cell(r, 1, code)
        ws.cell(r, 2, label)
        ws.cell(r, 3, unit)
        for offset, (_, _, v) in enumerate(values):
            cell = ws.cell(r, 4 + offset, v[measure])
            cell.number_format = "0.00" if unit == "%" else "#,##0.0"
    notes_row = 6 + len(c.ROWS) + 1
    ws.cell(notes_row, 1, "Ghi chú: số liệu các quý trước được cập nhật theo kỳ công bố này.")
    ws.cell(notes_row + 1, 1, f"Nguồn: {c.PUBLISHER}")
    ws.column_dimensions["B"].width = 55
    for i in range(4, last + 1):
        ws.column_dimensions[get_column_letter(i)].width = 12
    return wb


def save_deterministic(wb: Workbook, path: Path, when: datetime) -> None:
    """Save a workbook so that the same content gives the same bytes (fixed zip and document times)."""
    wb.properties.creator = c.PUBLISHER
    wb.properties.created = when
    buffer = io.BytesIO()
    wb.save(buffer)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp, data
                )
            entry = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(entry, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())


def simulate(
    landing_root: str | Path, start: date, end: date, scale: float = 1.0, seed: int = 190
) -> dict[str, int]:
    """Write the releases up to ``end`` (history from 2022 included); return files written per dataset."""
    root = Path(landing_root) / c.SOURCE
    written = {"quarterly": 0, "yearly": 0}
    for release in releases(end):
        wb = build_workbook(seed, release)
        save_deterministic(
            wb, root / release.file_name(), datetime.combine(release.delivered, datetime.min.time())
        )
        written[release.kind] += 1
    return written
