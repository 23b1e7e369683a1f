"""The national portal's public 766 reporting endpoints: shape, groups, metrics, in one place.

The national public-service portal publishes, per province and month,
quarter or year, the figures of the "Bộ chỉ số phục vụ người dân, doanh
nghiệp" (Decision 766/QĐ-TTg): each metric with ``numerator``,
``denominator``, ``ratio``, ``score`` and ``maxScore``
(``shared/plan-190/definitions.md``, "The national monitoring system's own
formulas"). Endpoints ``/api/v1/reporting/evaluation/<group>``, paged with
``currentPage``/``pageSize``, periods with ``timeType``/``year``/``quarter``/
``month``. Tree endpoints (``*-tree``) list a group row (its score, no counts)
and its metrics below it (``parentCode``). The metric codes and names below
are this project's reading of the dashboard; a field the portal leaves
``null`` (not evaluated) stays null, distinct from 0; ``isProvisional`` marks
figures the portal may still revise.

Landing layout of recorded answers (the embedded default, and what the API
pull archives)::

    national766/<group>/766-<group>-<timeType>-<period>-p<page>_<YYYYMMDD>.json

``<period>`` is ``2025M03``, ``2025Q1`` or ``2025Y``; the date is the period's end.
"""

from __future__ import annotations

from datetime import date

SOURCE = "national766"
DATASETS = {"evaluation": "**/766-*.json"}
API_PATH = "/api/v1/reporting/evaluation/{group}"
PAGE_SIZE = 20
TIME_TYPES = ("month", "quarter", "year")

# group (endpoint) -> (group code, Vietnamese name, max score). Weights 18/20/12/22/18/10.
GROUPS: dict[str, tuple[str, str, float]] = {
    "transparency": ("transparency", "Công khai, minh bạch", 18.0),
    "dvc-progress-tree": ("progress", "Tiến độ, kết quả giải quyết", 20.0),
    "provide-online-tree": ("provide_online", "Cung cấp dịch vụ công trực tuyến", 12.0),
    "dossier-digitized": ("digitisation", "Số hóa hồ sơ", 22.0),
    "handling-satisfaction": ("satisfaction_group", "Mức độ hài lòng", 18.0),
    "formality-online-payment-tree": ("online_payment_group", "Thanh toán trực tuyến", 10.0),
}

# metric code -> (group endpoint, Vietnamese name, max score, ratio at which the score is full)
METRICS: dict[str, tuple[str, str, float, float]] = {
    "transparency_publication": ("transparency", "Công khai, minh bạch thông tin", 18.0, 100.0),
    "on_time": ("dvc-progress-tree", "Hồ sơ giải quyết đúng hạn", 20.0, 100.0),
    "full_process_provision": (
        "provide-online-tree",
        "TTHC đủ điều kiện được cung cấp DVC trực tuyến toàn trình",
        4.0,
        100.0,
    ),
    "online_dossier": ("provide-online-tree", "Hồ sơ trực tuyến", 6.0, 100.0),
    "vneid_identification": (
        "provide-online-tree",
        "Hồ sơ định danh, xác thực VNeID hoặc dùng dữ liệu CSDL quốc gia",
        2.0,
        100.0,
    ),
    "dossier_digitised": ("dossier-digitized", "Hồ sơ có thành phần số hóa", 12.0, 100.0),
    "e_result": ("dossier-digitized", "Kết quả giải quyết điện tử", 10.0, 100.0),
    "satisfaction": ("handling-satisfaction", "Mức độ hài lòng", 18.0, 90.0),
    "online_payment": ("formality-online-payment-tree", "Thanh toán trực tuyến", 10.0, 100.0),
}

ITEM_FIELDS = [
    "provinceCode",
    "provinceName",
    "timeType",
    "year",
    "quarter",
    "month",
    "groupCode",
    "code",
    "parentCode",
    "name",
    "numerator",
    "denominator",
    "ratio",
    "score",
    "maxScore",
    "isProvisional",
    "updatedAt",
]

# The province the portal publishes the plan's area under, by period: Hậu Giang (93) until
# 30/6/2025; from 1/7/2025 Cần Thơ (92), which also covers the former Cần Thơ and Sóc Trăng.
# A period is published under the province that exists at its end.
PROVINCES: tuple[tuple[str, str, date, date | None, str], ...] = (
    ("93", "Hậu Giang", date(2004, 1, 1), date(2025, 6, 30), "same_area"),
    ("92", "Thành phố Cần Thơ", date(2025, 7, 1), None, "contains_area"),
)


def province_for(period_end: date) -> tuple[str, str, str]:
    """(code, name, scope) of the province the portal publishes the plan's area under for a period."""
    for code, name, start, end, scope in PROVINCES:
        if start <= period_end and (end is None or period_end <= end):
            return code, name, scope
    raise ValueError(f"no province for a period ending {period_end}")
