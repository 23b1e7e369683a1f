"""Simulated operators' FTTH reports and household counts, deterministic from the seed, sized from ``geo``.

Every commune's households (``geo.communes()``, growing 1.2 % a year) get
address codes once, independent of the range asked for. Each household
becomes fibre-ready at a time set by its commune's coverage curve (60–100 %
at the end of 2025 by ``geo.maturity``, higher in wards and towns, rising ten
points a year), first by one operator, and often later by others too: the
reports overlap. An operator's report of a quarter lists every address it can
serve at the quarter's end, in that operator's own conventions. About 0.05 %
of rows carry faults (unknown commune, missing address code, unknown
technology, impossible or future dates), a few addresses are put in a
neighbouring commune by one operator, and a few rows are sent twice.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from sources import geo
from sources.telecom import constants as c

ORIGIN = date(2010, 1, 1)
GROWTH = 0.012  # households, a year
LAST_YEAR = 2028  # address codes are drawn for the households of this year
PRIMARY_SHARE = {"VNPT": 0.42, "VIETTEL": 0.43, "FPT": 0.10, "MOBIFONE": 0.05}
ALSO_SERVES = {"VNPT": 0.40, "VIETTEL": 0.45, "FPT": 0.12, "MOBIFONE": 0.04}
ALSO_SERVES_URBAN = {"FPT": 0.35}
FAULT_RATE, REPEAT_RATE = 0.0005, 0.0002
SOURCE_NOTE = "Cục Thống kê tỉnh Hậu Giang"


def _rng(seed: int, *parts: object) -> np.random.Generator:
    digest = hashlib.sha256("|".join(map(str, (seed, c.SOURCE, *parts))).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def households(commune: geo.Commune, year: int, scale: float) -> int:
    """Households of a commune in ``year`` (as of 1 January) at this scale."""
    return max(1, round(commune.households * scale * (1 + GROWTH * (year - 2025))))


def _is_urban(commune: geo.Commune) -> bool:
    return commune.unit_type in ("Phường", "Thị trấn")


def coverage_end_2025(commune: geo.Commune) -> float:
    """The commune's fibre coverage at the end of 2025 before capping at 100 %."""
    return 0.80 + 0.17 * geo.maturity(commune.code) + (0.08 if _is_urban(commune) else 0.0)


def _universe(scale: float, seed: int) -> pl.DataFrame:
    """One row per (household address, operator that ever serves it): commune, sequence, ready day, technology."""
    communes = geo.communes()
    rng = _rng(seed, "universe")
    sizes = np.array([households(x, LAST_YEAR, scale) for x in communes])
    idx = np.repeat(np.arange(len(communes)), sizes)
    seq = np.concatenate([np.arange(s) for s in sizes])
    n = len(idx)
    c_raw = np.array([coverage_end_2025(x) for x in communes])[idx]
    urban = np.array([_is_urban(x) for x in communes])[idx]
    ready = (
        2025.99 - (c_raw - rng.random(n)) / 0.10
    )  # fractional year the first operator can serve it
    ready = np.where(ready < 2014, 2014 + 8 * rng.random(n), ready)
    operators = list(PRIMARY_SHARE)
    primary = rng.choice(len(operators), size=n, p=np.array(list(PRIMARY_SHARE.values())))
    parts_idx, parts_seq, parts_op, parts_ready = [idx], [seq], [primary], [ready]
    for k, op in enumerate(operators):
        p = np.where(urban, ALSO_SERVES_URBAN.get(op, ALSO_SERVES[op]), ALSO_SERVES[op])
        extra = (primary != k) & (rng.random(n) < p)
        parts_idx.append(idx[extra])
        parts_seq.append(seq[extra])
        parts_op.append(np.full(extra.sum(), k))
        parts_ready.append(ready[extra] + rng.exponential(0.8, extra.sum()))
    all_ready = np.concatenate(parts_ready)
    m = len(all_ready)
    tech = np.where(rng.random(m) < 0.08, "XGS-PON", "GPON")
    op_idx = np.concatenate(parts_op)
    tech = np.where((op_idx == operators.index("MOBIFONE")) & (rng.random(m) < 0.3), "AON", tech)
    return pl.DataFrame(
        {
            "commune": np.concatenate(parts_idx).astype(np.int32),
            "seq": np.concatenate(parts_seq).astype(np.int32),
            "operator": np.array(operators)[op_idx],
            "ready_day": np.floor((all_ready - 2010) * 365.25).astype(np.int32),
            "CongNghe": tech,
        }
    )


def _quarter_ends(start: date, end: date) -> list[date]:
    out = []
    for year in range(start.year, end.year + 1):
        for q in range(1, 5):
            month = 3 * q
            last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
            if start <= last <= end:
                out.append(last)
    return out


def report(
    universe: pl.DataFrame, operator: str, quarter_end: date, scale: float, seed: int
) -> pl.DataFrame:
    """One operator's FTTH report as of ``quarter_end``, in its own conventions."""
    communes = geo.communes()
    _, _, _, quarter_style, date_format = c.OPERATOR_FORMATS[operator]
    q = (quarter_end.month - 1) // 3 + 1
    roman = {v: k for k, v in c.ROMAN.items()}[q]
    units = pl.DataFrame(
        {
            "commune": pl.Series(range(len(communes)), dtype=pl.Int32),
            "_limit": pl.Series(
                [households(x, quarter_end.year, scale) for x in communes], dtype=pl.Int32
            ),
            "MaXa": [x.code for x in communes],
            "_name": [x.name for x in communes],
        }
    )
    day = (quarter_end - ORIGIN).days
    rows = (
        universe.filter((pl.col("operator") == operator) & (pl.col("ready_day") <= day))
        .join(units, on="commune")
        .filter(pl.col("seq") < pl.col("_limit"))  # households that exist in the quarter's year
        .sort("commune", "seq")
    )
    out = rows.select(
        pl.lit(quarter_style.format(roman=roman, year=quarter_end.year, q=q)).alias("KyBaoCao"),
        pl.lit(c.OPERATOR_LABEL[operator]).alias("MaNhaMang"),
        pl.col("MaXa"),
        pl.format("93{}{}", pl.col("MaXa"), pl.col("seq").cast(pl.String).str.zfill(6)).alias(
            "MaDiaChi"
        ),
        pl.format(
            "Số {}, Ấp {}, {}",
            pl.col("seq") % 300 + 1,
            pl.col("seq") // 300 % 12 + 1,
            pl.col("_name"),
        ).alias("DiaChi"),
        pl.col("CongNghe"),
        (pl.lit(ORIGIN) + pl.duration(days=pl.col("ready_day")))
        .dt.strftime(date_format)
        .alias("NgaySanSang"),
    )
    out = _with_faults(out, _rng(seed, "faults", operator, quarter_end), quarter_end, date_format)
    return geo.relabel_communes(out, quarter_end, "MaXa", address="DiaChi")


def _with_faults(
    df: pl.DataFrame, rng: np.random.Generator, quarter_end: date, date_format: str
) -> pl.DataFrame:
    n = df.height
    if n == 0:
        return df
    kind = np.where(rng.random(n) < FAULT_RATE, rng.integers(0, 6, n), -1)
    codes = [x.code for x in geo.communes()]
    neighbour = {a: b for a, b in zip(codes, codes[1:] + codes[:1], strict=True)}
    later = (quarter_end + timedelta(days=40)).strftime(date_format)
    k = pl.Series("_kind", kind)
    df = (
        df.with_columns(k)
        .with_columns(
            pl.when(pl.col("_kind") == 0)
            .then(pl.lit("31999"))
            .when(pl.col("_kind") == 5)
            .then(pl.col("MaXa").replace_strict(neighbour, default=pl.col("MaXa")))
            .otherwise(pl.col("MaXa"))
            .alias("MaXa"),
            pl.when(pl.col("_kind") == 1)
            .then(pl.lit(""))
            .otherwise(pl.col("MaDiaChi"))
            .alias("MaDiaChi"),
            pl.when(pl.col("_kind") == 2)
            .then(pl.lit("ADSL"))
            .otherwise(pl.col("CongNghe"))
            .alias("CongNghe"),
            pl.when(pl.col("_kind") == 3)
            .then(pl.lit("31/02/2025"))
            .when(pl.col("_kind") == 4)
            .then(pl.lit(later))
            .otherwise(pl.col("NgaySanSang"))
            .alias("NgaySanSang"),
        )
        .drop("_kind")
    )
    repeated = df[np.flatnonzero(rng.random(n) < REPEAT_RATE).tolist()]
    return pl.concat([df, repeated])


def household_file(year: int, scale: float, delivered: date | None = None) -> pl.DataFrame:
    """The household count of ``year``, with the commune codes and names of its delivery day."""
    communes = geo.communes()
    frame = pl.DataFrame(
        {
            "NamSoLieu": [str(year)] * len(communes),
            "MaXa": [x.code for x in communes],
            "TenXa": [x.name for x in communes],
            "SoHoGiaDinh": [str(households(x, year, scale)) for x in communes],
            "NguonSoLieu": [SOURCE_NOTE] * len(communes),
        }
    )
    if delivered is None:
        return frame
    relabelled = geo.relabel_communes(frame, delivered, "MaXa", name="TenXa")
    if not geo.after_change(delivered):
        return relabelled
    return (  # the new units' counts: the sums of the communes that formed them
        relabelled.with_columns(pl.col("SoHoGiaDinh").cast(pl.Int64))
        .group_by("NamSoLieu", "MaXa", "TenXa", "NguonSoLieu", maintain_order=True)
        .agg(pl.col("SoHoGiaDinh").sum().cast(pl.String))
        .select(frame.columns)
    )


def household_deliveries(start: date, end: date) -> list[tuple[int, date]]:
    """(year counted, delivery day) of the household counts delivered in [start, end]: each
    year's in January, and the year's count restated in the new units on 1/7/2025."""
    month, day = c.HOUSEHOLD_DELIVERY
    out = [(y, date(y, month, day)) for y in range(start.year, end.year + 1)]
    out.append((geo.CHANGE_DATE.year, geo.CHANGE_DATE))
    return sorted((y, d) for y, d in out if start <= d <= end)


def _write(df: pl.DataFrame, path: Path, separator: str = ",", bom: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.write_csv(path, separator=separator, include_bom=bom)


def simulate(
    landing_root: str | Path, start: date, end: date, scale: float = 1.0, seed: int = 190
) -> dict[str, int]:
    """Write the household counts and operators' reports delivered in [start, end]; return counts."""
    root = Path(landing_root) / c.SOURCE
    counts = {"files": 0, "household": 0, "coverage": 0}
    for year, delivered in household_deliveries(start, end):
        df = household_file(year, scale, delivered)
        _write(df, root / "hogiadinh" / f"sohogiadinh_{year}_{delivered:%Y%m%d}.csv")
        counts["files"] += 1
        counts["household"] += df.height
    quarters = _quarter_ends(start, end)
    if not quarters:
        return counts
    universe = _universe(scale, seed)
    for quarter_end in quarters:
        q = (quarter_end.month - 1) // 3 + 1
        for operator, (token, separator, bom, _, _) in c.OPERATOR_FORMATS.items():
            df = report(universe, operator, quarter_end, scale, seed)
            name = f"ftth_{token}_{quarter_end.year}q{q}_{quarter_end:%Y%m%d}.csv"
            _write(df, root / "ftth" / str(quarter_end.year) / name, separator, bom)
            counts["files"] += 1
            counts["coverage"] += df.height
    return counts
