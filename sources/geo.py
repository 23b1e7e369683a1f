"""The official units and agencies, for simulators: who exists, and how big each commune is.

The simulated world is the 2024 one (75 communes, 8 districts, the provincial
departments) for every date, so that rates are continuous; what changes on
``CHANGE_DATE`` (1/7/2025) is the *labels* a record carries: the functions
``*_on(…, day)`` give the code a record dated ``day`` writes (province 92, the
new unit along the crosswalk, no district, the successor agency).

Real Hậu Giang: about 730,000 people and 200,000 households in 75 communes
(2024). The simulators share these sizes so that sources agree with each
other (the same commune is large in the population register and in the
telecom operators' files). Sizes are deterministic pseudo-figures: urban
wards (phường, thị trấn) larger, rural communes smaller.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import polars as pl

REFERENCE = Path(__file__).resolve().parent.parent / "warehouse" / "reference"
PROVINCE_CODE = "93"
CITY_CODE = "92"  # Cần Thơ, which Hậu Giang is part of from CHANGE_DATE
CHANGE_DATE = date(2025, 7, 1)  # Resolution 202/2025/QH15: province merged, districts abolished
LAST_OLD_DAY = CHANGE_DATE - timedelta(days=1)
PROVINCE_POPULATION = 730_000
PROVINCE_HOUSEHOLDS = 200_000


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    unit_type: str  # Phường, Xã, Thị trấn
    district_code: str
    population: int
    households: int


def _read(name: str) -> list[dict]:
    with (REFERENCE / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@cache
def _all_units() -> tuple[dict, ...]:
    return tuple(_read("admin_units.csv"))


@cache
def _all_agencies() -> tuple[dict, ...]:
    return tuple(_read("agencies.csv"))


def _valid(row: dict, on: date) -> bool:
    day = on.isoformat()
    return row["valid_from"] <= day and (not row["valid_to"] or day <= row["valid_to"])


def units(on: date | None = None) -> tuple[dict, ...]:
    """The units of the reference valid on ``on`` (all of them, both geographies, if None)."""
    rows = _all_units()
    return rows if on is None else tuple(u for u in rows if _valid(u, on))


def agencies(on: date | None = None) -> tuple[dict, ...]:
    """The agencies of the reference valid on ``on`` (all of them if None)."""
    rows = _all_agencies()
    return rows if on is None else tuple(a for a in rows if _valid(a, on))


@cache
def crosswalk() -> dict[str, str]:
    """Old commune code -> the code of the new unit it went into on ``CHANGE_DATE``."""
    return {r["old_code"]: r["new_code"] for r in _read("crosswalk_2025.csv")}


@cache
def agency_successors() -> dict[str, str]:
    """Old agency code -> the agency that took over its work (empty: by the applicant's unit)."""
    return {r["agency_code"]: r["successor_code"] for r in _read("agency_successors.csv")}


def after_change(day: date) -> bool:
    """Whether ``day`` is in the new geography (Cần Thơ and its new units)."""
    return day >= CHANGE_DATE


def new_code(old_code: str) -> str:
    """The new unit an old commune went into (the crosswalk); KeyError for a code not in it."""
    return crosswalk()[old_code]


def unit_code_on(old_commune_code: str, day: date) -> str:
    """The code a record dated ``day`` carries for a commune of the simulated (old) world."""
    return new_code(old_commune_code) if after_change(day) else old_commune_code


def province_code_on(day: date) -> str:
    """'93' (Hậu Giang) until 30/6/2025, '92' (Cần Thơ) from 1/7/2025."""
    return CITY_CODE if after_change(day) else PROVINCE_CODE


def district_code_on(old_district_code: str, day: date) -> str:
    """The district a record carries: empty from 1/7/2025 (no district level any more)."""
    return "" if after_change(day) else old_district_code


def agency_on(agency_code: str, day: date, applicant_commune: str | None = None) -> str:
    """The agency a record dated ``day`` names for an agency of the simulated (old) world.

    Before 1/7/2025 the agency itself. From then: a commune's People's Committee ->
    the People's Committee of the new unit (``<new>.00.00.H92``); a provincial
    department -> the city department that took it over; a district's People's
    Committee -> the People's Committee of the applicant's new unit (an
    ``applicant_commune``, old or new code, is then required).
    """
    if not after_change(day):
        return agency_code
    successor = agency_successors()[agency_code]
    if successor:
        return successor
    if applicant_commune is None:
        raise ValueError(f"{agency_code}: a district's work goes to the applicant's unit: give it")
    unit = crosswalk().get(applicant_commune, applicant_commune)
    return commune_agency_code(unit)


def owner_on(agency_code: str, day: date) -> str:
    """The agency holding an agency's assets (systems, registers) on ``day``: its successor; a
    district People's Committee's go to the new unit of the district's first commune (by code)."""
    if not after_change(day) or agency_successors()[agency_code]:
        return agency_on(agency_code, day)
    district = agency_code.split(".")[2]
    seat = min(cm.code for cm in communes() if cm.district_code == district)
    return agency_on(agency_code, day, applicant_commune=seat)


@cache
def agency_name(agency_code: str) -> str:
    """An agency's name (any validity)."""
    return {a["agency_code"]: a["name_vi"] for a in _all_agencies()}[agency_code]


@cache
def unit_names(day: date) -> dict[str, str]:
    """Code -> name of the units valid on ``day``."""
    return {u["unit_code"]: u["name_vi"] for u in units(day)}


def commune_label(old_commune_code: str, day: date) -> tuple[str, str]:
    """(code, name) a record dated ``day`` carries for a commune of the simulated world."""
    code = unit_code_on(old_commune_code, day)
    return code, unit_names(day)[code]


def unit_column(column: str, day: date) -> pl.Expr:
    """A column of old commune codes as a record dated ``day`` writes it (unknown codes kept)."""
    col = pl.col(column)
    if not after_change(day):
        return col
    return col.replace_strict(crosswalk(), default=col, return_dtype=pl.String)


def relabel_communes(
    frame: pl.DataFrame, day: date, code: str, name: str | None = None, address: str | None = None
) -> pl.DataFrame:
    """A frame of the simulated world's communes as a record dated ``day`` writes them: ``code``
    (old codes) the code of that day, ``name`` its name, ``address`` ("…, <commune name>") its
    last part the name; nothing changes before ``CHANGE_DATE``."""
    if not after_change(day):
        return frame
    names = unit_names(day)
    frame = frame.with_columns(unit_column(code, day).alias(code))
    new_name = pl.col(code).replace_strict(names, default=None, return_dtype=pl.String)
    if name is not None:
        frame = frame.with_columns(new_name.fill_null(pl.col(name)).alias(name))
    if address is not None:
        frame = frame.with_columns(
            pl.when(new_name.is_not_null())
            .then(pl.format("{}, {}", pl.col(address).str.replace(r",\s*[^,]*$", ""), new_name))
            .otherwise(pl.col(address))
            .alias(address)
        )
    return frame


def commune_agency_code(new_unit_code: str) -> str:
    """The People's Committee of a new (2025) unit."""
    return f"{new_unit_code}.00.00.H{CITY_CODE}"


@cache
def city_units_outside_area() -> tuple[str, ...]:
    """Codes of Cần Thơ's new units not formed from Hậu Giang (the other 75)."""
    return tuple(
        u["unit_code"]
        for u in units(CHANGE_DATE)
        if u["admin_level"] == "commune"
        and u["province_code"] == CITY_CODE
        and not u["plan_area_code"]
    )


def stable_fraction(*parts: object) -> float:
    """A number in [0, 1) fixed by its parts (same parts, same number, on every machine)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@cache
def communes() -> tuple[Commune, ...]:
    rows = [u for u in units(LAST_OLD_DAY) if u["admin_level"] == "commune"]
    weights = [
        (1.8 if u["unit_type_vi"] in ("Phường", "Thị trấn") else 1.0)
        * (0.6 + 0.8 * stable_fraction("pop", u["unit_code"]))
        for u in rows
    ]
    total = sum(weights)
    out = []
    for u, w in zip(rows, weights, strict=True):
        pop = round(PROVINCE_POPULATION * w / total)
        size = 3.4 + 0.5 * stable_fraction("hh", u["unit_code"])  # people per household
        out.append(
            Commune(
                u["unit_code"],
                u["name_vi"],
                u["unit_type_vi"],
                u["district_code"],
                pop,
                round(pop / size),
            )
        )
    return tuple(out)


def maturity(unit_code: str) -> float:
    """A unit's persistent 'digital maturity' in [-1, 1]: shifts its simulated rates up or down."""
    return 2 * stable_fraction("maturity", unit_code) - 1
