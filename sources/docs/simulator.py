"""Simulated monthly work-file reports of the document-management system, deterministic from a seed.

Every agency of ``warehouse/reference/agencies.csv`` opens work files at a
rate set by its level (a district People's Committee opens far more than a
commune's), its commune's size and the month (fewer around Tết, a year-end
rush). Whether a file is handled end to end in the system depends on the
level (the plan's targets: province 90%, district 80%, commune 60%), on the
unit's persistent maturity (``geo.maturity``) and on a steady upward trend, so
that some units meet their target and others do not. A few files are state
secrets (never handled on the network); a few rows are broken the way real
exports are (unknown agency, impossible date, negative count, ...).

From 1/7/2025 a file opened carries the agency of that day (``geo``): a
department's successor, the People's Committee of a commune's new unit; the
district People's Committees open no more files. A file keeps the agency (and
code) of the day it was opened for its whole life.

The files opened in a month are the same whatever range is asked for (the
random stream of a month depends only on the seed and the month), so the
same seed and range give byte-identical files.
"""

from __future__ import annotations

import calendar
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl

from sources import geo
from sources.docs import constants as c

# level -> (work files a year per agency, share handled online in Jan 2025, spread by maturity, share secret)
PROFILE = {
    "province": (4200, 0.875, 0.07, 0.030),
    "district": (9000, 0.785, 0.09, 0.015),
    "commune": (2200, 0.580, 0.15, 0.005),
}
TREND_PER_MONTH = 0.004  # the online share rises by 0.4 point a month
SEASON = np.array([0.85, 0.70, 1.05, 1.00, 1.00, 0.98, 1.00, 1.02, 1.00, 1.05, 1.10, 1.25])
OFFICERS = {"province": 25, "district": 30, "commune": 8}
MEAN_DAYS_OPEN = 28.0
LONG_RUNNING = 0.06  # files that stay open for months (annual files, long cases)
BROKEN_SHARE = 0.001

SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Huỳnh",
    "Võ",
    "Phan",
    "Trương",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Lâm",
]
MIDDLE = ["Văn", "Thị", "Hoàng", "Minh", "Thanh", "Ngọc", "Hữu", "Quốc", "Kim", "Bảo"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Giang",
    "Hà",
    "Hùng",
    "Khoa",
    "Lan",
    "Linh",
    "Mai",
    "Nam",
    "Oanh",
    "Phúc",
    "Quang",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trung",
    "Tuấn",
    "Uyên",
    "Vy",
    "Xuân",
    "Yến",
]
TOPICS = [
    "kế hoạch chuyển đổi số",
    "công tác cải cách hành chính",
    "quyết toán ngân sách",
    "phòng chống thiên tai",
    "công tác thi đua khen thưởng",
    "tuyển dụng viên chức",
    "xây dựng nông thôn mới",
    "an toàn giao thông",
    "quản lý đất đai",
    "bảo vệ môi trường",
    "chương trình mục tiêu quốc gia",
    "phòng cháy chữa cháy",
    "công tác dân vận",
    "đầu tư công",
    "chăm sóc sức khỏe ban đầu",
    "giáo dục nghề nghiệp",
]
TITLE_TEMPLATES = [
    "Hồ sơ xử lý văn bản về {topic}",
    "Hồ sơ tổ chức hội nghị {topic}",
    "Hồ sơ báo cáo tháng về {topic}",
    "Hồ sơ triển khai {topic} năm {year}",
    "Hồ sơ góp ý dự thảo văn bản về {topic}",
]
CITIZEN_TEMPLATES = [
    "Hồ sơ giải quyết đơn kiến nghị của {title} {name}",
    "Hồ sơ xác minh, trả lời đơn của {title} {name} về {topic}",
]
SECRET_TITLE = "Hồ sơ mật"


@dataclass(frozen=True)
class Agencies:
    codes: np.ndarray
    names: np.ndarray
    levels: np.ndarray
    annual: np.ndarray  # work files a year
    online_base: np.ndarray  # share online in January 2025
    secret: np.ndarray
    officer_offset: np.ndarray  # first officer of the agency in the officer pool
    officer_count: np.ndarray


def ascii_fold(text: str) -> str:
    """Vietnamese -> plain ASCII lower case (the way logins are made)."""
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(
        ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch)
    ).lower()


def person_name(rng: np.random.Generator) -> str:
    return f"{SURNAMES[rng.integers(len(SURNAMES))]} {MIDDLE[rng.integers(len(MIDDLE))]} {GIVEN[rng.integers(len(GIVEN))]}"


def unit_maturity(agency: dict) -> float:
    """A department's own maturity; a People's Committee shares its unit's (the same in every source)."""
    return geo.maturity(
        agency["agency_code"] if agency["agency_level"] == "province" else agency["unit_code"]
    )


def login_suffix(agency: dict) -> str:
    """The part of an officer's login naming the agency: s11 (department 11), h935, x31429."""
    parts = agency["agency_code"].split(".")
    return {"province": "s" + parts[1], "district": "h" + parts[2], "commune": "x" + parts[0]}[
        agency["agency_level"]
    ]


@cache
def agencies(seed: int) -> tuple[Agencies, tuple[str, ...], tuple[str, ...]]:
    """The agencies with their rates, and the officer pool (names, logins) they draw from."""
    rows = list(geo.agencies(geo.LAST_OLD_DAY))
    population = {cm.code: cm.population for cm in geo.communes()}
    mean_pop = sum(population.values()) / len(population)
    rng = np.random.default_rng([seed, 6, 0])
    names: list[str] = []
    logins: list[str] = []
    offsets, counts = [], []
    for a in rows:
        level = a["agency_level"]
        offsets.append(len(names))
        counts.append(OFFICERS[level])
        for _ in range(OFFICERS[level]):
            name = person_name(rng)
            parts = ascii_fold(name).split()
            names.append(name)
            logins.append(f"{parts[-1]}{''.join(p[0] for p in parts[:-1])}.{login_suffix(a)}")
    annual = []
    for a in rows:
        base = PROFILE[a["agency_level"]][0] * (
            0.8 + 0.4 * geo.stable_fraction("docs-volume", a["agency_code"])
        )
        if a["agency_level"] == "commune":
            base *= population.get(a["unit_code"], mean_pop) / mean_pop
        annual.append(base)
    table = Agencies(
        codes=np.array([a["agency_code"] for a in rows]),
        names=np.array([a["name_vi"] for a in rows]),
        levels=np.array([a["agency_level"] for a in rows]),
        annual=np.array(annual),
        online_base=np.array(
            [
                PROFILE[a["agency_level"]][1] + PROFILE[a["agency_level"]][2] * unit_maturity(a)
                for a in rows
            ]
        ),
        secret=np.array([PROFILE[a["agency_level"]][3] for a in rows]),
        officer_offset=np.array(offsets),
        officer_count=np.array(counts),
    )
    return table, tuple(names), tuple(logins)


def titles(seed: int, year: int) -> tuple[np.ndarray, np.ndarray]:
    """A pool of work-file titles: ordinary ones, and ones naming a citizen (personal data)."""
    rng = np.random.default_rng([seed, 6, 1, year])
    plain = [t.format(topic=topic, year=year) for t in TITLE_TEMPLATES for topic in TOPICS]
    citizen = [
        CITIZEN_TEMPLATES[i % 2].format(
            title=("ông", "bà")[int(rng.integers(2))],
            name=person_name(rng),
            topic=TOPICS[int(rng.integers(len(TOPICS)))],
        )
        for i in range(60)
    ]
    return np.array(plain), np.array(citizen)


def month_index(year: int, month: int) -> int:
    """Months since January 2025 (negative before)."""
    return (year - 2025) * 12 + month - 1


def working_days(year: int, month: int) -> np.ndarray:
    days = [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]
    return np.array([np.datetime64(d) for d in days if d.weekday() < 5])


def opened_in(seed: int, year: int, month: int, scale: float) -> pl.DataFrame:
    """The work files opened in one month, every agency, with their whole life (closing date included)."""
    ag, _, _ = agencies(seed)
    rng = np.random.default_rng([seed, 6, year, month])
    lam = ag.annual / 12 * SEASON[month - 1] / SEASON.mean() * scale
    counts = rng.poisson(lam)
    n = int(counts.sum())
    idx = np.repeat(np.arange(len(counts)), counts)
    days = working_days(year, month)
    opened = days[rng.integers(0, len(days), n)].astype("datetime64[ms]") + (
        rng.integers(7 * 3600, 17 * 3600, n) * 1000
    ).astype("timedelta64[ms]")
    p_online = np.clip(
        ag.online_base[idx] + TREND_PER_MONTH * month_index(year, month), 0.02, 0.995
    )
    secret = rng.random(n) < ag.secret[idx]
    online = (rng.random(n) < p_online) & ~secret
    long_running = rng.random(n) < LONG_RUNNING
    duration_days = np.where(
        long_running, rng.uniform(120, 400, n), np.minimum(rng.exponential(MEAN_DAYS_OPEN, n), 400)
    )
    closed = opened + (duration_days * 86_400_000).astype(np.int64).astype("timedelta64[ms]")
    archived = rng.random(n) < 0.15
    n_docs = 1 + rng.poisson(4, n) + (duration_days / 15).astype(np.int64)
    officer = ag.officer_offset[idx] + (rng.random(n) * ag.officer_count[idx]).astype(np.int64)
    plain, citizen = titles(seed, year)
    title_pick = rng.random(n)
    title = np.where(
        title_pick < 0.08,
        citizen[rng.integers(0, len(citizen), n)],
        plain[rng.integers(0, len(plain), n)],
    )
    title = np.where(secret, SECRET_TITLE, title)
    secrecy = np.where(
        secret, np.array(["Mật", "Tối mật"])[(rng.random(n) < 0.2).astype(int)], "Thường"
    )
    frame = pl.DataFrame(
        {
            "agency_idx": idx,
            "opened": opened,
            "closed": closed,
            "online": online,
            "secrecy": secrecy,
            "archived": archived,
            "n_docs": n_docs,
            "officer": officer,
            "title": title,
        }
    ).sort("agency_idx", "opened", maintain_order=True)
    return frame.with_columns(pl.lit(year).alias("year"))


def history(seed: int, first: date, last: date, scale: float) -> pl.DataFrame:
    """Every work file that can appear in the reports of ``first`` to ``last``, numbered per agency and year.

    Files stay open at most ~13 months, so the history starts in January of the
    year 14 months before ``first``: a month's report is then the same whatever
    range it was simulated in.
    """
    frames = []
    year, month = (first.year - 2 if first.month <= 2 else first.year - 1), 1
    while (year, month) <= (last.year, last.month):
        frames.append(
            opened_in(seed, year, month, scale).with_columns(pl.lit(month).alias("month"))
        )
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    files = labelled(pl.concat(frames), seed)
    return files.with_columns((pl.int_range(pl.len()).over("agency_code", "year") + 1).alias("seq"))


def labelled(files: pl.DataFrame, seed: int) -> pl.DataFrame:
    """The agency (code and name) each work file carries: the one of its opening day.

    From 1/7/2025 a department's files are its successor's and a commune People's
    Committee's the new unit's; the district People's Committees open no more files.
    """
    ag, _, _ = agencies(seed)
    names = {a["agency_code"]: a["name_vi"] for a in geo.agencies()}
    successor = [geo.agency_successors()[code] for code in ag.codes]
    frame = pl.DataFrame(
        {
            "agency_idx": np.arange(len(ag.codes)),
            "_own": ag.codes,
            "_own_name": ag.names,
            "_next": successor,
            "_next_name": [names.get(code, "") for code in successor],
        }
    )
    new = pl.col("opened") >= datetime.combine(geo.CHANGE_DATE, time())
    return (
        files.join(frame, on="agency_idx", how="left", maintain_order="left")
        .filter(~new | (pl.col("_next") != ""))
        .with_columns(
            agency_code=pl.when(new).then("_next").otherwise("_own"),
            agency_name=pl.when(new).then("_next_name").otherwise("_own_name"),
        )
        .drop("_own", "_own_name", "_next", "_next_name")
    )


def end_of_month(first: date) -> date:
    return date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])


def delivery_day(seed: int, month_first: date) -> date:
    """Early the next month: the 2nd to the 5th."""
    nxt = end_of_month(month_first) + timedelta(days=1)
    return nxt + timedelta(
        days=1 + int(geo.stable_fraction("docs-delivery", seed, month_first) * 4)
    )


def lookups(seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Agency index -> code and name; officer index -> name and login."""
    ag, officer_names, officer_logins = agencies(seed)
    agency_frame = pl.DataFrame(
        {
            "agency_idx": np.arange(len(ag.codes)),
            "agency_code": ag.codes,
            "agency_name": ag.names,
        }
    )
    officer_frame = pl.DataFrame(
        {
            "officer": np.arange(len(officer_names)),
            "officer_name": officer_names,
            "officer_login": officer_logins,
        }
    )
    return agency_frame, officer_frame


def report_rows(files: pl.DataFrame, seed: int, month_first: date) -> pl.DataFrame:
    """The month's report: files opened or closed in the month, in their state at the month's end."""
    _, officer_frame = lookups(seed)
    start = datetime.combine(month_first, time())
    stop = datetime.combine(end_of_month(month_first) + timedelta(days=1), time())
    in_month = files.filter(
        pl.col("opened").is_between(start, stop, closed="left")
        | pl.col("closed").is_between(start, stop, closed="left")
    ).join(officer_frame, on="officer", how="left", maintain_order="left")
    is_closed = pl.col("closed") < stop
    return in_month.select(
        pl.format(
            "{}.{}.{}",
            pl.col("agency_code"),
            pl.col("year"),
            pl.col("seq").cast(pl.String).str.zfill(5),
        ).alias(c.CODE),
        pl.col("agency_code").alias(c.AGENCY),
        pl.col("agency_name").alias(c.AGENCY_NAME),
        pl.col("title").alias(c.TITLE),
        pl.col("officer_name").alias(c.OFFICER_NAME),
        pl.col("officer_login").alias(c.OFFICER_ACCOUNT),
        pl.col("opened").dt.strftime(c.DATE_FORMAT).alias(c.OPENED),
        pl.when(is_closed).then(pl.col("closed").dt.strftime(c.DATE_FORMAT)).alias(c.CLOSED),
        pl.when(~is_closed)
        .then(pl.lit("Đang xử lý"))
        .when(pl.col("archived"))
        .then(pl.lit("Đã nộp lưu"))
        .otherwise(pl.lit("Đã kết thúc"))
        .alias(c.STATUS),
        pl.when(pl.col("online")).then(pl.lit("Có")).otherwise(pl.lit("Không")).alias(c.ONLINE),
        pl.col("secrecy").alias(c.SECRECY),
        pl.when(is_closed)
        .then(pl.col("n_docs"))
        .otherwise((pl.col("n_docs") + 1) // 2)
        .cast(pl.String)
        .alias(c.N_DOCUMENTS),
        pl.when(is_closed)
        .then(pl.col("closed"))
        .otherwise(pl.col("opened") + pl.duration(minutes=7))
        .dt.strftime(c.DATETIME_FORMAT)
        .alias(c.UPDATED),
    ).sort(c.AGENCY, c.CODE, maintain_order=True)


def break_some(rows: pl.DataFrame, seed: int, month_first: date) -> pl.DataFrame:
    """Spoil a few rows the way real exports are spoilt (each kind caught by a staging rule)."""
    n = rows.height
    rng = np.random.default_rng([seed, 6, 2, month_first.year, month_first.month])
    kind = np.where(rng.random(n) < BROKEN_SHARE, rng.integers(0, 5, n), -1)
    k = pl.Series("kind", kind)
    return (
        rows.with_columns(k)
        .with_columns(
            pl.when(pl.col("kind") == 0).then(pl.lit("")).otherwise(pl.col(c.CODE)).alias(c.CODE),
            pl.when(pl.col("kind") == 1)
            .then(pl.lit("000.99.00.H93"))
            .otherwise(pl.col(c.AGENCY))
            .alias(c.AGENCY),
            pl.when(pl.col("kind") == 2)
            .then(pl.lit(f"31/02/{month_first.year}"))
            .otherwise(pl.col(c.OPENED))
            .alias(c.OPENED),
            pl.when(pl.col("kind") == 3)
            .then(pl.lit("-2"))
            .otherwise(pl.col(c.N_DOCUMENTS))
            .alias(c.N_DOCUMENTS),
            pl.when(pl.col("kind") == 4)
            .then(pl.lit("Chưa xác định"))
            .otherwise(pl.col(c.ONLINE))
            .alias(c.ONLINE),
        )
        .drop("kind")
    )


def months_delivered(seed: int, start: date, end: date) -> list[date]:
    """First days of the months whose report is delivered within [start, end]."""
    months = []
    first = date(start.year, start.month, 1) - timedelta(days=1)
    first = date(first.year, first.month, 1)
    while first <= end:
        if start <= delivery_day(seed, first) <= end:
            months.append(first)
        first = end_of_month(first) + timedelta(days=1)
    return months


def file_path(landing_root: Path, seed: int, month_first: date) -> Path:
    delivered = delivery_day(seed, month_first)
    name = f"{c.FILE_PREFIX}_{month_first:%Y%m}_{delivered:%Y%m%d}.csv"
    return Path(landing_root) / c.SOURCE / "hosocongviec" / f"{month_first:%Y}" / name


def write_report(path: Path, rows: pl.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = rows.write_csv(line_terminator="\r\n", null_value="")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))


def simulate(
    landing_root: Path | str, start: date, end: date, scale: float = 1.0, seed: int = 190
) -> dict[str, int]:
    """Write the monthly reports delivered in [start, end]; return the number of files and rows."""
    months = months_delivered(seed, start, end)
    if not months:
        return {"files": 0, "work_file": 0}
    files = history(seed, months[0], months[-1], scale)
    written = 0
    for first in months:
        rows = break_some(report_rows(files, seed, first), seed, first)
        write_report(file_path(Path(landing_root), seed, first), rows)
        written += rows.height
    return {"files": len(months), "work_file": written}
