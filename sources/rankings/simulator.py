"""Simulate the ministry's yearly ranking tables (DTI, Vietnam ICT Index), deterministic from a seed.

Every province gets a score per index and year (a stable base, a yearly
gain, noise); ranks follow the scores (ties share a rank). Hậu Giang's rank
follows its own walk — drifting with ``geo.maturity`` so that some years
improve and others slip — and keeps the published figures (DTI 2022: 17/63;
ICT Index 2020: 32/63, announced 26/4/2021); its score is set between its
neighbours' so the table ranks it there. Values depend on the seed only, never
on the range.

Written: every index year from 2020 whose table is published on or before
``end`` (the history the keep-or-improve targets need). One table per index
and year, at its publication date; the scale does not apply (63 provinces).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from sources.geo import PROVINCE_CODE, maturity, stable_fraction
from sources.rankings import constants as c

FIRST_YEAR = 2020
INDICES = ("DTI", "ICT")
FOLDER = {"DTI": "dti", "ICT": "ict"}
PREFIX = {"DTI": "DTI_cap_tinh", "ICT": "ICT_Index_cap_tinh"}
# the provinces that lead both indices year after year get a head start
LEADERS = {"48": 0.2, "01": 0.15, "79": 0.15, "46": 0.12, "22": 0.12, "27": 0.1}


def publication_date(index: str, year: int, seed: int) -> date:
    """DTI of a year: July–October of the next; ICT Index: April–May of the next."""
    published = c.PUBLISHED.get((index, year), (None, None))[1]
    if published:
        return date.fromisoformat(published)
    rng = random.Random(f"{seed}|rankings-date|{index}|{year}")
    first = date(year + 1, 7, 1) if index == "DTI" else date(year + 1, 4, 10)
    return first + timedelta(days=rng.randint(0, 100 if index == "DTI" else 45))


def home_ranks(index: str, seed: int, last_year: int) -> dict[int, int]:
    """Hậu Giang's rank per year: a walk through the pinned published figure."""
    pinned_year, pinned_rank = next(
        ((y, r) for (i, y), (r, _) in c.PUBLISHED.items() if i == index), (FIRST_YEAR, 30)
    )
    drift = round(-maturity(PROVINCE_CODE))  # a less mature province tends to slip

    def step(year: int) -> int:
        return random.Random(f"{seed}|rankings-walk|{index}|{year}").randint(-4, 4) + drift

    ranks = {pinned_year: pinned_rank}
    for year in range(pinned_year + 1, last_year + 1):
        ranks[year] = min(max(ranks[year - 1] + step(year), 1), c.N_PROVINCES)
    for year in range(pinned_year - 1, FIRST_YEAR - 1, -1):
        ranks[year] = min(max(ranks[year + 1] - step(year + 1), 1), c.N_PROVINCES)
    return ranks


def province_score(index: str, code: str, year: int, seed: int) -> float:
    base = (
        (0.22 if index == "DTI" else 0.35)
        + 0.3 * stable_fraction(index, "base", code)
        + LEADERS.get(code, 0)
    )
    gain = (0.025 if index == "DTI" else 0.02) * (year - FIRST_YEAR)
    noise = random.Random(f"{seed}|rankings-score|{index}|{code}|{year}").gauss(0, 0.02)
    return min(max(base + gain + noise, 0.05), 0.98)


def competition_ranks(scores: dict[str, float]) -> dict[str, int]:
    """Rank by score, highest first; equal scores share a rank (1, 2, 2, 4)."""
    ordered = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    ranks: dict[str, int] = {}
    for position, (code, score) in enumerate(ordered, start=1):
        previous = ordered[position - 2] if position > 1 else None
        ranks[code] = ranks[previous[0]] if previous and previous[1] == score else position
    return ranks


def year_scores(index: str, year: int, seed: int, home_rank: int) -> dict[str, float]:
    """Every province's score (4 decimals), Hậu Giang placed at ``home_rank``."""
    others = sorted(
        (
            (code, round(province_score(index, code, year, seed), 4))
            for code in c.PROVINCES
            if code != c.HAU_GIANG
        ),
        key=lambda kv: (-kv[1], kv[0]),
    )
    scores = dict(others)
    values = [v for _, v in others]
    if home_rank == 1:
        home = values[0] + 0.005
    elif home_rank > len(values):
        home = values[-1] - 0.005
    else:
        above, below = values[home_rank - 2], values[home_rank - 1]
        if above - below < 0.0002:  # make room: everyone from the home position down loses a little
            for code, value in others[home_rank - 1 :]:
                scores[code] = round(value - 0.0002, 4)
            below = round(below - 0.0002, 4)
        home = (above + below) / 2
    scores[c.HAU_GIANG] = round(home, 4)
    return scores


def vn_number(value: float) -> str:
    return f"{value:.4f}".replace(".", ",")


def pillar(seed: int, index: str, code: str, year: int, name: str, score: float) -> float:
    noise = random.Random(f"{seed}|rankings-pillar|{index}|{code}|{year}|{name}").gauss(0, 0.06)
    return round(min(max(score * (1 + noise), 0.01), 0.99), 4)


def dti_table(year: int, scores: dict[str, float], seed: int) -> str:
    ranks = competition_ranks(scores)
    pillars = {
        name: {code: pillar(seed, "DTI", code, year, name, s) for code, s in scores.items()}
        for name in ("government", "economy", "society")
    }
    pillar_ranks = {name: competition_ranks(values) for name, values in pillars.items()}
    lines = [c.DTI_SEPARATOR.join(c.DTI_COLUMNS)]
    for n, code in enumerate(sorted(scores, key=lambda k: (ranks[k], k)), start=1):
        cells = [
            str(n),
            code,
            c.PROVINCES[code],
            str(year),
            vn_number(scores[code]),
            str(ranks[code]),
        ]
        for name in ("government", "economy", "society"):
            cells += [vn_number(pillars[name][code]), str(pillar_ranks[name][code])]
        lines.append(c.DTI_SEPARATOR.join(cells))
    mean = sum(scores.values()) / len(scores)
    averages = [
        vn_number(sum(pillars[p].values()) / len(scores))
        for p in ("government", "economy", "society")
    ]
    lines.append(
        c.DTI_SEPARATOR.join(
            [
                "",
                "",
                "Trung bình cả nước",
                str(year),
                vn_number(mean),
                "",
                averages[0],
                "",
                averages[1],
                "",
                averages[2],
                "",
            ]
        )
    )
    return "\r\n".join(lines) + "\r\n"


def ict_table(year: int, scores: dict[str, float], seed: int) -> str:
    ranks = competition_ranks(scores)
    lines = [",".join(c.ICT_COLUMNS)]
    for n, code in enumerate(sorted(scores, key=lambda k: (ranks[k], k)), start=1):
        subs = [
            pillar(seed, "ICT", code, year, name, scores[code]) for name in ("infra", "hr", "apps")
        ]
        lines.append(
            ",".join(
                [
                    str(n),
                    code,
                    c.PROVINCES[code],
                    str(year),
                    *(f"{s:.4f}" for s in subs),
                    f"{scores[code]:.4f}",
                    str(ranks[code]),
                ]
            )
        )
    return "\n".join(lines) + "\n"


def simulate(
    landing_root: str | Path, start: date, end: date, scale: float = 1.0, seed: int = 190
) -> dict[str, int]:
    """Write every ranking table published on or before ``end`` (from index year 2020)."""
    root = Path(landing_root) / c.SOURCE
    written = {"dti": 0, "ict": 0}
    for index in INDICES:
        ranks = home_ranks(index, seed, end.year)
        for year in range(FIRST_YEAR, end.year):
            published = publication_date(index, year, seed)
            if published > end:
                continue
            scores = year_scores(index, year, seed, ranks[year])
            path = root / FOLDER[index] / f"{PREFIX[index]}_{year}_{published:%Y%m%d}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            if index == "DTI":
                path.write_bytes(dti_table(year, scores, seed).encode("utf-8-sig"))
            else:
                path.write_bytes(ict_table(year, scores, seed).encode("utf-8"))
            written[FOLDER[index]] += 1
    return written
