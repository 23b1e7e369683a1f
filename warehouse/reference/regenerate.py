"""Regenerate the reference data committed beside this file.

    python -m warehouse.reference.regenerate

- ``admin_units_2024.csv``: Hậu Giang (GSO code 93), its 8 district-level and
  75 commune-level units as they stood until 30/6/2025, with the official
  General Statistics Office codes and Vietnamese names. Taken from the
  ``vietnam-provinces==0.6.0`` wheel (the last release carrying the pre-2025
  lists), fetched with ``pip download`` so that it never has to be installed
  beside a newer release of the same module.
- ``agencies.csv``: the agencies that provide public services and hold work
  files: the provincial departments (a fixed list below), each district's
  People's Committee and each commune's People's Committee. Agency codes
  follow the four-part pattern of the national agency codes
  (``000.00.53.H48``); the numbers here are synthetic, tied to the GSO codes,
  since the province's own code table is not public.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
PROVINCE_CODE = 93
PACKAGE = "vietnam-provinces==0.6.0"
VALID_FROM = "2004-01-01"  # Hậu Giang separated from Cần Thơ (Resolution 22/2003/QH11)
VALID_TO = "2025-06-30"  # district level abolished, province merged into Cần Thơ

# Provincial departments and boards that provide public services (name_vi, name_en).
PROVINCIAL_AGENCIES: list[tuple[str, str]] = [
    ("Văn phòng Ủy ban nhân dân tỉnh", "Office of the Provincial People's Committee"),
    ("Sở Tư pháp", "Department of Justice"),
    ("Sở Kế hoạch và Đầu tư", "Department of Planning and Investment"),
    ("Sở Tài chính", "Department of Finance"),
    ("Sở Công Thương", "Department of Industry and Trade"),
    ("Sở Nông nghiệp và Phát triển nông thôn", "Department of Agriculture and Rural Development"),
    ("Sở Giao thông vận tải", "Department of Transport"),
    ("Sở Xây dựng", "Department of Construction"),
    ("Sở Tài nguyên và Môi trường", "Department of Natural Resources and Environment"),
    ("Sở Thông tin và Truyền thông", "Department of Information and Communications"),
    ("Sở Lao động - Thương binh và Xã hội", "Department of Labour, Invalids and Social Affairs"),
    ("Sở Văn hóa, Thể thao và Du lịch", "Department of Culture, Sports and Tourism"),
    ("Sở Khoa học và Công nghệ", "Department of Science and Technology"),
    ("Sở Giáo dục và Đào tạo", "Department of Education and Training"),
    ("Sở Y tế", "Department of Health"),
    ("Sở Nội vụ", "Department of Home Affairs"),
    ("Thanh tra tỉnh", "Provincial Inspectorate"),
    ("Ban Dân tộc", "Ethnic Minorities Committee"),
    ("Ban Quản lý các khu công nghiệp", "Industrial Zones Management Board"),
    ("Công an tỉnh", "Provincial Police"),
]

UNIT_FIELDS = [
    "unit_code",
    "name_vi",
    "unit_type_vi",
    "admin_level",
    "parent_code",
    "district_code",
    "province_code",
    "valid_from",
    "valid_to",
]
AGENCY_FIELDS = ["agency_code", "name_vi", "name_en", "agency_level", "unit_code"]


def unit_type(name: str) -> str:
    """The unit type as written at the start of an official name (``Huyện``, ``Phường`` …)."""
    for prefix in ("Thành phố", "Thị xã", "Thị trấn", "Huyện", "Phường", "Xã", "Tỉnh"):
        if name.startswith(prefix):
            return prefix
    raise ValueError(f"unknown unit type in {name!r}")


def units_from_nested(nested: list[dict], province_code: int = PROVINCE_CODE) -> list[dict]:
    """Flatten the package's nested province → district → ward tree for one province."""
    (province,) = [p for p in nested if p["code"] == province_code]
    common = {"province_code": str(province_code), "valid_from": VALID_FROM, "valid_to": VALID_TO}
    rows = [
        {
            "unit_code": str(province_code),
            "name_vi": province["name"],
            "unit_type_vi": unit_type(province["name"]),
            "admin_level": "province",
            "parent_code": "",
            "district_code": "",
            **common,
        }
    ]
    for district in sorted(province["districts"], key=lambda d: d["code"]):
        dcode = str(district["code"])
        rows.append(
            {
                "unit_code": dcode,
                "name_vi": district["name"],
                "unit_type_vi": unit_type(district["name"]),
                "admin_level": "district",
                "parent_code": str(province_code),
                "district_code": dcode,
                **common,
            }
        )
        for ward in sorted(district["wards"], key=lambda w: w["code"]):
            rows.append(
                {
                    "unit_code": f"{ward['code']:05d}",
                    "name_vi": ward["name"],
                    "unit_type_vi": unit_type(ward["name"]),
                    "admin_level": "commune",
                    "parent_code": dcode,
                    "district_code": dcode,
                    **common,
                }
            )
    return rows


def agencies_from_units(units: list[dict]) -> list[dict]:
    """Provincial departments, district and commune People's Committees."""
    province = next(u for u in units if u["admin_level"] == "province")
    suffix = f"H{province['unit_code']}"
    rows = [
        {
            "agency_code": f"000.{i:02d}.00.{suffix}",
            "name_vi": vi,
            "name_en": en,
            "agency_level": "province",
            "unit_code": province["unit_code"],
        }
        for i, (vi, en) in enumerate(PROVINCIAL_AGENCIES, start=1)
    ]
    for u in units:
        if u["admin_level"] == "district":
            rows.append(
                {
                    "agency_code": f"000.00.{u['unit_code']}.{suffix}",
                    "name_vi": f"Ủy ban nhân dân {u['name_vi']}",
                    "name_en": f"People's Committee of {u['name_vi']}",
                    "agency_level": "district",
                    "unit_code": u["unit_code"],
                }
            )
        elif u["admin_level"] == "commune":
            rows.append(
                {
                    "agency_code": f"{u['unit_code']}.00.{u['district_code']}.{suffix}",
                    "name_vi": f"Ủy ban nhân dân {u['name_vi']}",
                    "name_en": f"People's Committee of {u['name_vi']}",
                    "agency_level": "commune",
                    "unit_code": u["unit_code"],
                }
            )
    return rows


def fetch_nested(package: str = PACKAGE) -> list[dict]:
    """Download the wheel (no install) and read its nested divisions list."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, package],
            check=True,
        )
        (wheel,) = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as zf:
            return json.loads(zf.read("vietnam_provinces/data/nested-divisions.json"))


def write_csv(path: Path, fields: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def main() -> None:
    units = units_from_nested(fetch_nested())
    write_csv(HERE / "admin_units_2024.csv", UNIT_FIELDS, units)
    write_csv(HERE / "agencies.csv", AGENCY_FIELDS, agencies_from_units(units))
    print(f"wrote {len(units)} units and agencies to {HERE}")


if __name__ == "__main__":
    main()
