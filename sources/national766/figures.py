"""The national portal's 766 figures, computed from one-stop-system records as the portal would.

Used by the replica of the portal (``sources/portal``) and by this source's
simulator: both publish what the national monitoring system would publish
for the dossiers a province synchronised to it. It is written apart from the
warehouse's own SQL on purpose (Polars over the records as sent, not the
warehouse's tables), so that the reconciliation of the two is a real check.

The rules (``shared/plan-190/definitions.md``, the 766 dashboard's formulas):

- each dossier counts in its latest version (the record synchronised last);
- ``online_dossier``: received dossiers filed online (``KenhThucHien = 2``),
  for a procedure whose result is a document only with an electronic result
  (``MaGiayToKetQua`` and ``DuongDanTepTinKetQua``), over received dossiers;
  the ratio is scaled by the sync rate (received dossiers with
  ``DongBoDVCQG = 1`` over received dossiers);
- ``e_result``: finished dossiers (9, 10) with such an electronic result,
  over finished dossiers of procedures whose result is a document;
- ``vneid_identification``: received dossiers with
  ``TaiKhoanDuocXacThucVoiVNeID = 1`` or data from a national database
  (``DuocLayTuKhoDMQG = 1`` or a ``MaCSDL``), over received dossiers;
- ``satisfaction``: 100% − (overdue rate + rate of dossiers rated
  dissatisfied or with a complaint), over finished dossiers: an overdue and
  dissatisfied dossier counts twice; full points from 90%;
- ``full_process_provision``: (agency, procedure) pairs eligible to be
  full-process and offered so by the period's end, over the eligible pairs;
- ``on_time``, ``dossier_digitised``, ``online_payment``: published for
  completeness, not reconciled; ``transparency_publication``: not evaluated
  (null), as the portal shows a metric it has not scored.

Received means status not 1 or 3, dated by reception (else submission);
finished means 9 or 10, dated by the end of handling.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from sources.base import SourceFileError, file_date
from sources.dvc import connector as dvc_connector
from sources.dvc import constants as dvc
from sources.national766 import constants as c

PROVISIONAL_DAYS = (
    10  # a period ending fewer days than this before the data's last day is provisional
)


@dataclass(frozen=True)
class DvcRecords:
    """What the portal holds of a province: dossier records and ratings (with the day each was
    synchronised, ``_day``), and every snapshot of the procedure catalogue and provisions (the
    day of each, ``_day``: a period's figure reads the snapshot that stood at its end)."""

    dossiers: pl.DataFrame
    ratings: pl.DataFrame
    procedures: pl.DataFrame
    provisions: pl.DataFrame

    @property
    def last_day(self) -> date | None:
        value = self.dossiers["_day"].max() if self.dossiers.height else None
        return value if isinstance(value, date) else None

    @property
    def first_day(self) -> date | None:
        value = self.dossiers["_day"].min() if self.dossiers.height else None
        return value if isinstance(value, date) else None


def _read_all(paths: list[Path], reader: object) -> pl.DataFrame | None:
    frames = []
    for path in paths:
        try:
            frame = reader(path)  # type: ignore[operator]
        except SourceFileError:
            continue  # the portal never received what cannot be read
        frames.append(frame.with_columns(pl.lit(file_date(path.name)).alias("_day")))
    return pl.concat(frames, how="diagonal") if frames else None


def load_landing(landing: str | Path) -> DvcRecords:
    """The one-stop system's records as its extract files in a landing zone hold them."""
    root = Path(landing) / dvc.SOURCE
    dossiers = _read_all(sorted(root.glob("hoso/**/hoso_*.jsonl")), dvc_connector.read_dossiers)
    ratings = _read_all(
        sorted(root.glob("danhgia/**/danhgia_*.csv")),
        lambda p: dvc_connector.read_table("rating", p),
    )
    catalogue = _read_all(
        sorted(root.glob("catalogue/thutuc_*.csv")),
        lambda p: dvc_connector.read_table("procedure", p),
    )
    provision = _read_all(
        sorted(root.glob("catalogue/cungcap_*.csv")),
        lambda p: dvc_connector.read_table("provision", p),
    )
    return DvcRecords(
        dossiers
        if dossiers is not None
        else pl.DataFrame(schema={**dvc_connector.DOSSIER_SCHEMA, "_day": pl.Date}),
        ratings
        if ratings is not None
        else pl.DataFrame(schema={k: pl.String for k in dvc.RATING_COLUMNS} | {"_day": pl.Date}),
        catalogue
        if catalogue is not None
        else pl.DataFrame(schema={k: pl.String for k in dvc.PROCEDURE_COLUMNS}),
        provision
        if provision is not None
        else pl.DataFrame(schema={k: pl.String for k in dvc.PROVISION_COLUMNS}),
    )


def as_of(snapshots: pl.DataFrame, end: date | None) -> pl.DataFrame:
    """The snapshot that stood at ``end``: the latest dated on or before it (else the earliest);
    all of the frame when it has no snapshot day, or when ``end`` is None (the latest)."""
    if "_day" not in snapshots.columns or not snapshots.height:
        return snapshots
    days = sorted(d for d in snapshots["_day"].unique().to_list() if d is not None)
    if not days:
        return snapshots
    before = [d for d in days if end is None or d <= end]
    return snapshots.filter(pl.col("_day") == (before[-1] if before else days[0]))


def periods_between(first: date, last: date) -> list[tuple[str, date, date]]:
    """Every month, quarter and year that overlaps ``first..last``: (time type, start, end)."""
    out: list[tuple[str, date, date]] = []
    month = date(first.year, first.month, 1)
    while month <= last:
        nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        out.append(("month", month, nxt - timedelta(days=1)))
        if month.month in (1, 4, 7, 10) or month == date(first.year, first.month, 1):
            q = (month.month - 1) // 3
            start = date(month.year, 3 * q + 1, 1)
            end = date(month.year + (q == 3), (3 * q + 3) % 12 + 1, 1) - timedelta(days=1)
            if ("quarter", start, end) not in out:
                out.append(("quarter", start, end))
        if month.month == 1 or month == date(first.year, first.month, 1):
            if ("year", date(month.year, 1, 1), date(month.year, 12, 31)) not in out:
                out.append(("year", date(month.year, 1, 1), date(month.year, 12, 31)))
        month = nxt
    return out


def _int(col: str) -> pl.Expr:
    return pl.col(col).str.strip_chars().cast(pl.Int64, strict=False)


def _ts(col: str) -> pl.Expr:
    return (
        pl.col(col).str.strip_chars().str.strptime(pl.Datetime("us"), dvc.DATE_FORMAT, strict=False)
    )


def latest_dossiers(records: DvcRecords) -> pl.DataFrame:
    """One row per dossier in its latest version, with the flags the 766 rules read."""
    requires = (
        as_of(records.procedures, None)
        .select(
            pl.col("MaTTHC").str.strip_chars(),
            (_int("YeuCauGiayToKetQua") != 0).fill_null(True).alias("requires_result"),
        )
        .unique("MaTTHC", keep="first")
    )
    results = pl.col("DanhSachGiayToKetQua")
    linked = (
        results.list.eval(
            (pl.element().struct.field("MaGiayToKetQua").str.strip_chars().str.len_chars() > 0)
            & (
                pl.element().struct.field("DuongDanTepTinKetQua").str.strip_chars().str.len_chars()
                > 0
            )
        )
        .list.any()
        .fill_null(False)
    )
    d = (
        records.dossiers.with_columns(
            _int("TrangThaiHoSo").alias("status"),
            _int("KenhThucHien").alias("channel"),
            _ts("NgayNopHoSo").alias("submitted"),
            _ts("NgayTiepNhan").alias("received_at"),
            _ts("NgayHenTra").alias("due"),
            _ts("NgayKetThucXuLy").alias("finished_at"),
        )
        .filter(
            pl.col("status").is_between(1, 10)
            & pl.col("channel").is_between(1, 3)
            & pl.col("submitted").is_not_null()
        )
        .sort("_day", "status")
        .unique("MaHoSo", keep="last", maintain_order=False)
        .join(requires, on="MaTTHC", how="left")
    )
    return d.select(
        pl.col("MaHoSo").alias("dossier_id"),
        (~pl.col("status").is_in(list(dvc.NOT_RECEIVED_STATUSES))).alias("received"),
        pl.coalesce("received_at", "submitted").dt.date().alias("received_date"),
        pl.col("status").is_in(list(dvc.FINISHED_STATUSES)).alias("finished"),
        pl.col("finished_at").dt.date().alias("finished_date"),
        (pl.col("finished_at") > pl.col("due")).fill_null(False).alias("late"),
        (pl.col("channel") == 2).alias("online"),
        pl.col("requires_result").fill_null(True),
        linked.alias("e_result"),
        (_int("TaiKhoanDuocXacThucVoiVNeID") == 1).fill_null(False).alias("vneid"),
        (
            (_int("DuocLayTuKhoDMQG") == 1).fill_null(False)
            | (pl.col("MaCSDL").str.strip_chars().str.len_chars() > 0).fill_null(False)
        ).alias("national_db"),
        (_int("DongBoDVCQG") != 0).fill_null(True).alias("synced"),
        (_int("HoSoCoThanhPhanSoHoa") == 1).fill_null(False).alias("digitised"),
        (pl.col("DanhSachLePhi").list.len().fill_null(0) > 0).alias("has_fee"),
        (_int("DuocThanhToanTrucTuyen") == 1).fill_null(False).alias("paid_online"),
    )


def _latest_ratings(records: DvcRecords) -> pl.DataFrame:
    return (
        records.ratings.with_columns(_ts("NgayDanhGia").alias("rated_at"))
        .sort("_day", "rated_at")
        .unique("MaHoSo", keep="last", maintain_order=False)
        .select(
            pl.col("MaHoSo").alias("dossier_id"),
            ((_int("MucDoHaiLong") == 4) | (_int("CoKhieuNai") == 1))
            .fill_null(False)
            .alias("unhappy"),
        )
    )


def _count(frame: pl.DataFrame, start: date, end: date, column: str, where: pl.Expr) -> int:
    return frame.filter(pl.col(column).is_between(start, end) & where).height


def _flow_metrics(d: pl.DataFrame, start: date, end: date) -> dict[str, tuple]:
    """(numerator, denominator, ratio) of the dossier metrics of one period."""
    rec, fin = pl.col("received"), pl.col("finished")

    def n(column: str, where: pl.Expr) -> int:
        return _count(d, start, end, column, where)

    received = n("received_date", rec)
    synced = n("received_date", rec & pl.col("synced"))
    online = n(
        "received_date", rec & pl.col("online") & (~pl.col("requires_result") | pl.col("e_result"))
    )
    finished = n("finished_date", fin)
    late = n("finished_date", fin & pl.col("late"))
    unhappy = n("finished_date", fin & pl.col("unhappy"))
    with_result = n("finished_date", fin & pl.col("requires_result"))
    fee_online = n("received_date", rec & pl.col("online") & pl.col("has_fee"))

    def ratio(num: float, den: float, scale: float = 1.0) -> float | None:
        return 100.0 * num / den * scale if den else None

    sync_rate = synced / received if received else 1.0
    return {
        "online_dossier": (online, received, ratio(online, received, sync_rate)),
        "vneid_identification": (
            (k := n("received_date", rec & (pl.col("vneid") | pl.col("national_db")))),
            received,
            ratio(k, received),
        ),
        "e_result": (
            (k := n("finished_date", fin & pl.col("requires_result") & pl.col("e_result"))),
            with_result,
            ratio(k, with_result),
        ),
        "satisfaction": (
            finished - late - unhappy,
            finished,
            ratio(finished - late - unhappy, finished),
        ),
        "on_time": (finished - late, finished, ratio(finished - late, finished)),
        "dossier_digitised": (
            (k := n("received_date", rec & pl.col("digitised"))),
            received,
            ratio(k, received),
        ),
        "online_payment": (
            (
                k := n(
                    "received_date",
                    rec & pl.col("online") & pl.col("has_fee") & pl.col("paid_online"),
                )
            ),
            fee_online,
            ratio(k, fee_online),
        ),
        "transparency_publication": (None, None, None),
    }


def _provision_metric(records: DvcRecords, end: date) -> tuple:
    eligible = (
        as_of(records.procedures, end)
        .select(
            pl.col("MaTTHC").str.strip_chars(), (_int("DuDieuKienToanTrinh") == 1).alias("eligible")
        )
        .group_by("MaTTHC")
        .agg(pl.col("eligible").any())
    )
    p = (
        as_of(records.provisions, end)
        .with_columns(
            _int("MucDo").alias("level"),
            pl.col("NgayCungCapToanTrinh")
            .str.strip_chars()
            .str.slice(0, 8)
            .str.strptime(pl.Date, "%Y%m%d", strict=False)
            .alias("since"),
        )
        .unique(["MaDonVi", "MaTTHC"], keep="last", maintain_order=True)
        .join(eligible, on="MaTTHC", how="left")
        .filter(pl.col("eligible").fill_null(False))
    )
    den = p.height
    num = p.filter((pl.col("level") == 4) & (pl.col("since") <= end)).height
    return num, den, (100.0 * num / den if den else None)


def _score(code: str, ratio: float | None) -> float | None:
    if ratio is None:
        return None
    _group, _name, max_score, full_at = c.METRICS[code]
    return round(max_score * max(0.0, min(1.0, ratio / full_at)), 2)


def evaluate(
    records: DvcRecords,
    periods: list[tuple[str, date, date]] | None = None,
    shift: dict[str, float] | None = None,
    updated_at: datetime | None = None,
) -> pl.DataFrame:
    """The portal's items (``constants.ITEM_FIELDS``) for every period: metrics and group rows.

    ``shift`` adds percentage points to a metric's published ratio (the
    replica's way to disagree on purpose).
    """
    shift = shift or {}
    first, last = records.first_day, records.last_day
    if periods is None:
        periods = periods_between(first, last) if first and last else []
    d = (
        latest_dossiers(records)
        .join(_latest_ratings(records), on="dossier_id", how="left")
        .with_columns(pl.col("unhappy").fill_null(False))
    )
    stamp = (
        updated_at or datetime(last.year, last.month, last.day, 23, 0)
        if last
        else datetime(2000, 1, 1)
    )
    rows: list[dict] = []
    for time_type, start, end in periods:
        code, name, _scope = c.province_for(end)
        values = _flow_metrics(d, start, end)
        values["full_process_provision"] = _provision_metric(records, end)
        provisional = last is None or end > last - timedelta(days=PROVISIONAL_DAYS)
        base = {
            "provinceCode": code,
            "provinceName": name,
            "timeType": time_type,
            "year": start.year,
            "quarter": (start.month - 1) // 3 + 1 if time_type == "quarter" else None,
            "month": start.month if time_type == "month" else None,
            "isProvisional": provisional,
            "updatedAt": stamp.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        group_scores: dict[str, list[float | None]] = {}
        for metric, (group, metric_name, max_score, _full) in c.METRICS.items():
            num, den, ratio = values[metric]
            if ratio is not None and metric in shift:
                ratio += shift[metric]
            score = _score(metric, ratio)
            group_scores.setdefault(group, []).append(score)
            rows.append(
                base
                | {
                    "groupCode": c.GROUPS[group][0],
                    "code": metric,
                    "parentCode": c.GROUPS[group][0] if group.endswith("-tree") else None,
                    "name": metric_name,
                    "numerator": num,
                    "denominator": den,
                    "ratio": None if ratio is None else round(ratio, 2),
                    "score": score,
                    "maxScore": max_score,
                }
            )
        for group, (group_code, group_name, max_score) in c.GROUPS.items():
            if not group.endswith("-tree"):
                continue
            scores = group_scores.get(group, [])
            known = [x for x in scores if x is not None]
            rows.append(
                base
                | {
                    "groupCode": group_code,
                    "code": group_code,
                    "parentCode": None,
                    "name": group_name,
                    "numerator": None,
                    "denominator": None,
                    "ratio": None,
                    "score": round(sum(known), 2) if len(known) == len(scores) else None,
                    "maxScore": max_score,
                }
            )
    return pl.from_dicts(rows, schema=_ITEM_SCHEMA) if rows else pl.DataFrame(schema=_ITEM_SCHEMA)


_ITEM_SCHEMA = {
    "provinceCode": pl.String,
    "provinceName": pl.String,
    "timeType": pl.String,
    "year": pl.Int64,
    "quarter": pl.Int64,
    "month": pl.Int64,
    "groupCode": pl.String,
    "code": pl.String,
    "parentCode": pl.String,
    "name": pl.String,
    "numerator": pl.Float64,
    "denominator": pl.Float64,
    "ratio": pl.Float64,
    "score": pl.Float64,
    "maxScore": pl.Float64,
    "isProvisional": pl.Boolean,
    "updatedAt": pl.String,
}


def group_of(item: dict) -> str:
    """The endpoint (group) an item is published under."""
    for group, (code, _name, _max) in c.GROUPS.items():
        if item["groupCode"] == code:
            return group
    raise KeyError(item["groupCode"])


def items_for(
    figures: pl.DataFrame,
    group: str,
    time_type: str,
    year: int,
    quarter: int | None,
    month: int | None,
    province: str | None,
) -> list[dict]:
    """The items one endpoint lists for one period (and province, if given), in a stable order."""
    code = c.GROUPS[group][0]
    f = figures.filter(
        (pl.col("groupCode") == code)
        & (pl.col("timeType") == time_type)
        & (pl.col("year") == year)
        & (pl.col("quarter").eq_missing(quarter if time_type == "quarter" else None))
        & (pl.col("month").eq_missing(month if time_type == "month" else None))
    )
    if province:
        f = f.filter(pl.col("provinceCode") == province)
    items = f.sort("provinceCode", pl.col("parentCode").is_not_null(), "code").to_dicts()
    for item in items:  # counts are whole numbers on the portal
        for key in ("numerator", "denominator"):
            if item[key] is not None:
                item[key] = int(item[key])
    return items


def render_page(items: list[dict], page: int, page_size: int) -> bytes:
    """The portal's answer for one page of ``items``."""
    import json

    total = len(items)
    pages = max(1, -(-total // page_size))
    chunk = items[(page - 1) * page_size : page * page_size] if page >= 1 else []
    body = {
        "success": True,
        "message": "OK",
        "data": {
            "currentPage": page,
            "pageSize": page_size,
            "totalPages": pages,
            "totalItems": total,
            "items": chunk,
        },
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
