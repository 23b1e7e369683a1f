"""Regenerate the reference data committed beside this file.

    python -m warehouse.reference.regenerate            # write the CSVs
    python -m warehouse.reference.regenerate --check ../shared/plan-190/geography

Two geographies, each unit a code *and* a validity period (a code alone does not
identify a unit: 31321 is Phường III until 30/6/2025 and Phường Vị Thanh after):

- ``admin_units.csv``: Hậu Giang (GSO code 93), its 8 district-level and 75
  commune-level units, valid until 30/6/2025 (from the ``vietnam-provinces==0.6.0``
  wheel, the last release carrying the pre-2025 lists); then Cần Thơ (92) and its
  103 commune-level units, valid from 1/7/2025, with no district level (from the
  2026 releases' ``data/nested-divisions.json``). ``plan_area_code`` says which
  units make up Plan 190's area, "the former Hậu Giang area": the 2024 units and
  the 28 new units formed from them ('93'); empty for Cần Thơ itself and the
  new units formed from old Cần Thơ or Sóc Trăng.
- ``crosswalk_2025.csv``: the government's conversion table ("Bảng chuyển đổi
  ĐVHC mới – cũ", effective 1/7/2025) for Hậu Giang's 75 old units, one row an
  old unit: the new unit it went into (every one "Nhập toàn bộ", wholly into one).
  Read from the 2026 wheel's ``_ward_conversion_2025.py`` as data (its syntax
  tree; the module is never imported, so the 2026 wheels' Python >= 3.12
  requirement does not bind this project).
- ``agencies.csv``: the agencies that provide public services and hold work
  files, with their validity: until 30/6/2025 the provincial departments, each
  district's and each commune's People's Committee; from 1/7/2025 the city's
  departments (after the 2025 merger of departments) and the People's Committees
  of its 103 new units (28 of them in the plan's area).
- ``agency_successors.csv``: for each agency ending on 30/6/2025, the agency that
  took over its work (``SUCCESSOR_BY_NAME``; ``--successors`` rewrites only this
  file, offline, from the committed agencies and crosswalk). Agency codes follow the four-part pattern of
  the national agency codes (``000.00.53.H48``); the numbers are synthetic, tied
  to the GSO codes, since the province's own code table is not public.

``--check DIR`` compares what this derives with a copy of the official table
(``hau_giang_2025_crosswalk.csv``, ``can_tho_2025_units.csv``) and exits 1 on any
difference.
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
PROVINCE_CODE = 93
PACKAGE = "vietnam-provinces==0.6.0"  # the 2024 units
# the 2025 units and the conversion table (release 2026.2.0 was the first to carry them)
PACKAGE_2025 = "vietnam-provinces==2026.9.0"
CITY_CODE = 92  # Cần Thơ, which Hậu Giang is part of from 1/7/2025
VALID_FROM = "2004-01-01"  # Hậu Giang separated from Cần Thơ (Resolution 22/2003/QH11)
VALID_TO = "2025-06-30"  # district level abolished, province merged into Cần Thơ
CHANGE_DATE = "2025-07-01"  # Resolution 202/2025/QH15; the conversion table's effective date
PLAN_AREA = str(PROVINCE_CODE)  # Plan 190's area: the former Hậu Giang, whatever its units

# The city's departments and boards from 1/7/2025 (after the 2025 merger of departments).
CITY_AGENCIES: list[tuple[str, str]] = [
    ("Văn phòng Ủy ban nhân dân thành phố", "Office of the City People's Committee"),
    ("Sở Tư pháp", "Department of Justice"),
    ("Sở Tài chính", "Department of Finance"),
    ("Sở Công Thương", "Department of Industry and Trade"),
    ("Sở Nông nghiệp và Môi trường", "Department of Agriculture and Environment"),
    ("Sở Xây dựng", "Department of Construction"),
    ("Sở Khoa học và Công nghệ", "Department of Science and Technology"),
    ("Sở Nội vụ", "Department of Home Affairs"),
    ("Sở Văn hóa, Thể thao và Du lịch", "Department of Culture, Sports and Tourism"),
    ("Sở Giáo dục và Đào tạo", "Department of Education and Training"),
    ("Sở Y tế", "Department of Health"),
    ("Sở Dân tộc và Tôn giáo", "Department of Ethnic and Religious Affairs"),
    ("Thanh tra thành phố", "City Inspectorate"),
    ("Ban Quản lý các khu chế xuất và công nghiệp", "Export Processing and Industrial Zones Board"),
    ("Công an thành phố", "City Police"),
]

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

# Which city department took over each provincial department's work on 1/7/2025 (by
# function, after the 2025 merger of departments); a department absent here went to the
# city department of the same name.
SUCCESSOR_BY_NAME: dict[str, str] = {
    "Văn phòng Ủy ban nhân dân tỉnh": "Văn phòng Ủy ban nhân dân thành phố",
    "Sở Kế hoạch và Đầu tư": "Sở Tài chính",
    "Sở Thông tin và Truyền thông": "Sở Khoa học và Công nghệ",
    "Sở Giao thông vận tải": "Sở Xây dựng",
    "Sở Tài nguyên và Môi trường": "Sở Nông nghiệp và Môi trường",
    "Sở Nông nghiệp và Phát triển nông thôn": "Sở Nông nghiệp và Môi trường",
    "Sở Lao động - Thương binh và Xã hội": "Sở Nội vụ",
    "Ban Dân tộc": "Sở Dân tộc và Tôn giáo",
    "Thanh tra tỉnh": "Thanh tra thành phố",
    "Ban Quản lý các khu công nghiệp": "Ban Quản lý các khu chế xuất và công nghiệp",
    "Công an tỉnh": "Công an thành phố",
}
SUCCESSOR_FIELDS = ["agency_code", "successor_code", "rule"]

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
    "plan_area_code",
]
AGENCY_FIELDS = [
    "agency_code",
    "name_vi",
    "name_en",
    "agency_level",
    "unit_code",
    "valid_from",
    "valid_to",
]
CROSSWALK_FIELDS = [
    "old_code",
    "old_name",
    "old_district_code",
    "old_province_code",
    "new_code",
    "new_name",
    "new_kind",
    "new_province_code",
    "effective_date",
    "gov_note",
]


def unit_type(name: str) -> str:
    """The unit type as written at the start of an official name (``Huyện``, ``Phường`` …)."""
    for prefix in ("Thành phố", "Thị xã", "Thị trấn", "Huyện", "Phường", "Xã", "Tỉnh", "Đặc khu"):
        if name.startswith(prefix):
            return prefix
    raise ValueError(f"unknown unit type in {name!r}")


def units_from_nested(nested: list[dict], province_code: int = PROVINCE_CODE) -> list[dict]:
    """Flatten the package's nested province → district → ward tree for one province."""
    (province,) = [p for p in nested if p["code"] == province_code]
    common = {
        "province_code": str(province_code),
        "valid_from": VALID_FROM,
        "valid_to": VALID_TO,
        "plan_area_code": PLAN_AREA,
    }
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
            "valid_from": VALID_FROM,
            "valid_to": VALID_TO,
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
                    "valid_from": VALID_FROM,
                    "valid_to": VALID_TO,
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
                    "valid_from": VALID_FROM,
                    "valid_to": VALID_TO,
                }
            )
    return rows


def fetch_members(package: str, *members: str) -> list[bytes]:
    """Download the wheel (never installed: any Python it asks for) and read members of it."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp]
            + ["--only-binary=:all:", "--python-version", "3.12", package],
            check=True,
        )
        (wheel,) = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as zf:
            return [zf.read(m) for m in members]


def fetch_nested(package: str = PACKAGE) -> list[dict]:
    """The wheel's nested divisions list (province -> [district ->] ward)."""
    (raw,) = fetch_members(package, "vietnam_provinces/data/nested-divisions.json")
    return json.loads(raw)


def _literal(node: ast.expr) -> object:
    """A NamedTuple call or a tuple of them, as plain tuples (no code is run)."""
    if isinstance(node, ast.Call):
        return tuple(_literal(a) for a in node.args)
    if isinstance(node, ast.Tuple):
        return tuple(_literal(e) for e in node.elts)
    return ast.literal_eval(node)


def old_to_new(source: str) -> dict[int, tuple]:
    """``OLD_TO_NEW`` of ``_ward_conversion_2025.py``, read from its syntax tree.

    Each value is ``((old_code, district, province, is_partly_merged), ((new_code, province), ...))``.
    """
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign):
            targets: list[ast.expr] = [node.target]
        elif isinstance(node, ast.Assign):
            targets = list(node.targets)
        else:
            continue
        named = any(isinstance(t, ast.Name) and t.id == "OLD_TO_NEW" for t in targets)
        if named and isinstance(node.value, ast.Dict):
            return {
                ast.literal_eval(k): _literal(v)  # type: ignore[arg-type,misc]
                for k, v in zip(node.value.keys, node.value.values, strict=True)
            }
    raise ValueError("no OLD_TO_NEW table in the conversion module")


def new_units(nested: list[dict], crosswalk: list[dict]) -> list[dict]:
    """Cần Thơ (92) and its commune-level units from 1/7/2025, no district level."""
    (city,) = [p for p in nested if p["code"] == CITY_CODE]
    area = {r["new_code"] for r in crosswalk}
    rows = [
        {
            "unit_code": str(CITY_CODE),
            "name_vi": city["name"],
            "unit_type_vi": "Thành phố",
            "admin_level": "province",
            "parent_code": "",
            "district_code": "",
            "province_code": str(CITY_CODE),
            "valid_from": CHANGE_DATE,
            "valid_to": "",
            "plan_area_code": "",
        }
    ]
    for ward in sorted(city["wards"], key=lambda w: w["code"]):
        code = f"{ward['code']:05d}"
        rows.append(
            {
                "unit_code": code,
                "name_vi": ward["name"],
                "unit_type_vi": unit_type(ward["name"]),
                "admin_level": "commune",
                "parent_code": str(CITY_CODE),
                "district_code": "",
                "province_code": str(CITY_CODE),
                "valid_from": CHANGE_DATE,
                "valid_to": "",
                "plan_area_code": PLAN_AREA if code in area else "",
            }
        )
    return rows


def crosswalk_rows(table: dict[int, tuple], old: list[dict], nested: list[dict]) -> list[dict]:
    """One row per old unit of the province: the new unit it went into."""
    (city,) = [p for p in nested if p["code"] == CITY_CODE]
    new_names = {f"{w['code']:05d}": w for w in city["wards"]}
    old_units = {u["unit_code"]: u for u in old if u["admin_level"] == "commune"}
    rows = []
    for code, ((_, district, province, partly), targets) in sorted(table.items()):
        if province != PROVINCE_CODE:
            continue
        if len(targets) != 1 or partly:
            raise ValueError(f"old unit {code} is split across {targets}: not a whole-unit merger")
        ((new_code, new_province),) = targets
        old_code, new = f"{code:05d}", new_names[f"{new_code:05d}"]
        rows.append(
            {
                "old_code": old_code,
                "old_name": old_units[old_code]["name_vi"],
                "old_district_code": str(district),
                "old_province_code": str(province),
                "new_code": f"{new_code:05d}",
                "new_name": new["name"],
                "new_kind": "ward" if new["division_type"] == "phường" else "commune",
                "new_province_code": str(new_province),
                "effective_date": CHANGE_DATE,
                "gov_note": "Nhập toàn bộ",
            }
        )
    if set(old_units) != {r["old_code"] for r in rows}:
        raise ValueError("the conversion table and the 2024 units disagree on the old units")
    return rows


def new_agencies(units: list[dict]) -> list[dict]:
    """The city's departments and the People's Committees of its 103 new units."""
    suffix = f"H{CITY_CODE}"
    common = {"valid_from": CHANGE_DATE, "valid_to": ""}
    rows = [
        {
            "agency_code": f"000.{i:02d}.00.{suffix}",
            "name_vi": vi,
            "name_en": en,
            "agency_level": "province",
            "unit_code": str(CITY_CODE),
            **common,
        }
        for i, (vi, en) in enumerate(CITY_AGENCIES, start=1)
    ]
    for u in units:
        if u["admin_level"] == "commune" and u["province_code"] == str(CITY_CODE):
            rows.append(
                {
                    "agency_code": f"{u['unit_code']}.00.00.{suffix}",
                    "name_vi": f"Ủy ban nhân dân {u['name_vi']}",
                    "name_en": f"People's Committee of {u['name_vi']}",
                    "agency_level": "commune",
                    "unit_code": u["unit_code"],
                    **common,
                }
            )
    return rows


def agency_successors(agencies: list[dict], crosswalk: list[dict]) -> list[dict]:
    """Each agency that ends on 30/6/2025 and the agency that took over its work from 1/7/2025.

    A provincial department -> the city department with its function
    (``SUCCESSOR_BY_NAME``, else the same name); a commune's People's Committee ->
    the People's Committee of the new unit its commune went into; a district's
    People's Committee -> no single successor (``successor_code`` empty): each of its
    cases goes to the People's Committee of the applicant's new unit.
    """
    new = [a for a in agencies if a["valid_from"] == CHANGE_DATE]
    city = {a["name_vi"]: a["agency_code"] for a in new if a["agency_level"] == "province"}
    by_unit = {a["unit_code"]: a["agency_code"] for a in new if a["agency_level"] == "commune"}
    new_unit = {r["old_code"]: r["new_code"] for r in crosswalk}
    rows = []
    for a in agencies:
        if a["valid_to"] != VALID_TO:
            continue
        if a["agency_level"] == "province":
            successor = city[SUCCESSOR_BY_NAME.get(a["name_vi"], a["name_vi"])]
            rule = "department taking over its function"
        elif a["agency_level"] == "commune":
            successor, rule = by_unit[new_unit[a["unit_code"]]], "new unit's People's Committee"
        else:
            successor, rule = "", "People's Committee of the applicant's new unit"
        rows.append({"agency_code": a["agency_code"], "successor_code": successor, "rule": rule})
    return rows


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def check(crosswalk: list[dict], units: list[dict], folder: Path) -> list[str]:
    """Differences between what was derived and the official table's copy in ``folder``."""
    problems: list[str] = []
    with (folder / "hau_giang_2025_crosswalk.csv").open(encoding="utf-8") as f:
        official = {r["old_code"]: r for r in csv.DictReader(f)}
    ours = {r["old_code"]: r for r in crosswalk}
    if set(official) != set(ours):
        problems.append(f"old units differ: {sorted(set(official) ^ set(ours))}")
    for code in sorted(set(official) & set(ours)):
        for field in ("old_name", "old_district_code", "new_code", "new_name", "new_kind"):
            if official[code][field] != ours[code][field]:
                problems.append(
                    f"{code} {field}: {ours[code][field]!r} != {official[code][field]!r}"
                )
    with (folder / "can_tho_2025_units.csv").open(encoding="utf-8") as f:
        city = {r["new_code"]: r for r in csv.DictReader(f)}
    derived = {u["unit_code"]: u for u in units if u["province_code"] == str(CITY_CODE)}
    derived.pop(str(CITY_CODE), None)
    if set(city) != set(derived):
        problems.append(f"Cần Thơ's units differ: {sorted(set(city) ^ set(derived))}")
    for code in sorted(set(city) & set(derived)):
        if city[code]["new_name"] != derived[code]["name_vi"]:
            problems.append(
                f"{code} name: {derived[code]['name_vi']!r} != {city[code]['new_name']!r}"
            )
        olds = set(filter(None, city[code]["old_codes"].split("|")))
        ours_old = {r["old_code"] for r in crosswalk if r["new_code"] == code}
        if (code in {r["new_code"] for r in crosswalk}) and olds != ours_old:
            problems.append(f"{code} absorbs {sorted(ours_old)} != {sorted(olds)}")
    return problems


def write_csv(path: Path, fields: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def derive() -> tuple[list[dict], list[dict], list[dict]]:
    """(units, crosswalk, agencies) from the two wheels."""
    old = units_from_nested(fetch_nested())
    raw_nested, raw_table = fetch_members(
        PACKAGE_2025,
        "vietnam_provinces/data/nested-divisions.json",
        "vietnam_provinces/_ward_conversion_2025.py",
    )
    nested = json.loads(raw_nested)
    crosswalk = crosswalk_rows(old_to_new(raw_table.decode("utf-8")), old, nested)
    units = old + new_units(nested, crosswalk)
    return units, crosswalk, agencies_from_units(old) + new_agencies(units)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", type=Path, help="compare with a copy of the official table")
    parser.add_argument(
        "--successors",
        action="store_true",
        help="only rewrite agency_successors.csv from the committed agencies and crosswalk",
    )
    args = parser.parse_args(argv)
    if args.successors:
        rows = agency_successors(
            read_csv(HERE / "agencies.csv"), read_csv(HERE / "crosswalk_2025.csv")
        )
        write_csv(HERE / "agency_successors.csv", SUCCESSOR_FIELDS, rows)
        print(f"wrote {len(rows)} agency successors to {HERE}")
        return 0
    units, crosswalk, agencies = derive()
    if args.check:
        problems = check(crosswalk, units, args.check)
        for p in problems:
            print(p)
        print(
            f"{len(crosswalk)} old units, {len({r['new_code'] for r in crosswalk})} new units: "
            + (f"{len(problems)} difference(s)" if problems else "identical to the official copy")
        )
        return 1 if problems else 0
    write_csv(HERE / "admin_units.csv", UNIT_FIELDS, units)
    write_csv(HERE / "crosswalk_2025.csv", CROSSWALK_FIELDS, crosswalk)
    write_csv(HERE / "agencies.csv", AGENCY_FIELDS, agencies)
    write_csv(
        HERE / "agency_successors.csv", SUCCESSOR_FIELDS, agency_successors(agencies, crosswalk)
    )
    print(
        f"wrote {len(units)} units, {len(crosswalk)} crosswalk rows, {len(agencies)} agencies to {HERE}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
