"""The nightly deployment runs at 01:00 in Asia/Ho_Chi_Minh, and the flow's DAG has the documented steps."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flows.deploy import SCHEDULE


def test_schedule_is_one_in_the_morning_hanoi_time():
    assert SCHEDULE.cron == "0 1 * * *"
    assert SCHEDULE.timezone == "Asia/Ho_Chi_Minh"
    from cronsim import CronSim

    start = datetime(2026, 11, 28, 12, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    nxt = next(CronSim(SCHEDULE.cron, start))
    assert (nxt.hour, nxt.minute, nxt.day) == (1, 0, 29)
    assert nxt.astimezone(ZoneInfo("UTC")).hour == 18  # 01:00 in Hanoi is 18:00 UTC the day before


def test_active_sources_rejects_unknown_names():
    import pytest

    from flows.nightly import active_sources
    from flows.settings import load_settings

    assert active_sources(load_settings({"CHISO_SOURCES": "dvc"})) == ["dvc"]
    with pytest.raises(ValueError, match="unknown source"):
        active_sources(load_settings({"CHISO_SOURCES": "dvc,nope"}))
