"""The official units and agencies, for simulators: who exists, and how big each commune is.

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
from functools import cache
from pathlib import Path

REFERENCE = Path(__file__).resolve().parent.parent / "warehouse" / "reference"
PROVINCE_CODE = "93"
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
def units() -> tuple[dict, ...]:
    # the 2024 units, until the simulators follow the change of 1/7/2025 (issue 7)
    return tuple(u for u in _read("admin_units.csv") if u["valid_from"] < "2025-07-01")


@cache
def agencies() -> tuple[dict, ...]:
    return tuple(a for a in _read("agencies.csv") if a["valid_from"] < "2025-07-01")


def stable_fraction(*parts: object) -> float:
    """A number in [0, 1) fixed by its parts (same parts, same number, on every machine)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@cache
def communes() -> tuple[Commune, ...]:
    rows = [u for u in units() if u["admin_level"] == "commune"]
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
