"""The records the replica's one-stop system holds: the landing zone's dossier files, by day.

A record's update time (``NgayCapNhat``, what the API's window filters on) is
the latest of its own dates that falls on the day it was synchronised (the
day of its file), else the start of that day. Days are read when a window
first touches them; the last ``KEEP_DAYS`` read are kept (a day of the
province is ~3,000 records, ~3 MB), so a year's pull stays small.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sources.dvc import constants as dvc

STAMP = re.compile(r"^\d{14}$")
KEEP_DAYS = 8


@dataclass(frozen=True)
class Record:
    updated: str  # yyyyMMddHHmmss
    key: str  # MaHoSo
    line: bytes  # the record as the file holds it


@dataclass
class DossierStore:
    landing: Path
    days: dict[date, Path] = field(default_factory=dict)
    _cache: OrderedDict[date, list[Record]] = field(default_factory=OrderedDict)
    unreadable: int = 0

    @classmethod
    def open(cls, landing: str | Path) -> DossierStore:
        store = cls(Path(landing))
        for path in sorted((store.landing / dvc.SOURCE).glob("hoso/**/hoso_*.jsonl")):
            stamp = path.stem.rsplit("_", 1)[-1]
            store.days[datetime.strptime(stamp, "%Y%m%d").date()] = path
        return store

    def day(self, day: date) -> list[Record]:
        if day in self._cache:
            self._cache.move_to_end(day)
            return self._cache[day]
        records = self._cache[day] = self._read(day)
        while len(self._cache) > KEEP_DAYS:
            self._cache.popitem(last=False)
        return records

    def _read(self, day: date) -> list[Record]:
        path = self.days.get(day)
        if path is None:
            return []
        prefix = day.strftime("%Y%m%d")
        out = []
        for line in path.read_bytes().splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                self.unreadable += 1  # the system would not hold a record it cannot parse
                continue
            if not isinstance(record, dict):
                self.unreadable += 1
                continue
            stamps = [
                v
                for k, v in record.items()
                if k.startswith("Ngay") and isinstance(v, str) and STAMP.match(v)
            ]
            same_day = [s for s in stamps if s.startswith(prefix)]
            updated = max(same_day) if same_day else prefix + "000000"
            out.append(Record(updated, str(record.get("MaHoSo")), line.strip()))
        return sorted(out, key=lambda r: (r.updated, r.key))

    def window(self, start: datetime, end: datetime) -> list[Record]:
        """Records whose update time is in ``[start, end)``, ordered by update time and key."""
        lo, hi = start.strftime(dvc.DATE_FORMAT), end.strftime(dvc.DATE_FORMAT)
        out: list[Record] = []
        day = start.date()
        while datetime(day.year, day.month, day.day) < end:
            out += [r for r in self.day(day) if lo <= r.updated < hi]
            day += timedelta(days=1)
        return out

    def count(self) -> int:
        """Every record held (reads every day)."""
        return sum(len(self.day(d)) for d in self.days)
