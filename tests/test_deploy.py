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


def test_the_deployment_runs_one_at_a_time_with_typed_parameters_tags_and_a_version():
    from prefect.client.schemas.objects import ConcurrencyLimitStrategy

    from flows.deploy import deployment
    from flows.settings import load_settings

    d = deployment(load_settings({"CHISO_SOURCES": "dvc,docs", "CHISO_LANDING_URL": "/srv/x"}))
    assert d.concurrency_limit == 1
    assert d.concurrency_options.collision_strategy == ConcurrencyLimitStrategy.ENQUEUE
    assert d.parameters == {"sources": ["dvc", "docs"], "simulate": False}  # the environment's
    assert {"chiso", "plan-190", "nightly"} <= set(d.tags)
    assert d.version and d.version[0].isdigit()
    assert "blocked:" in d.description and "One run at a time" in d.description
    schema = d._parameter_openapi_schema.model_dump()
    props = schema["properties"]
    assert set(props) == {"sources", "simulate", "restage", "full"}
    assert all(props[p]["description"] for p in props)  # the Custom run form explains each
    assert props["sources"]["anyOf"][0]["items"]["enum"][:2] == ["dvc", "docs"]
    period = schema["definitions"]["RestagePeriod"]["properties"]
    assert period["start"]["format"] == "date" and period["sources"]["minItems"] == 1


def test_run_names_carry_the_day_in_hau_giang():
    from datetime import UTC, datetime
    from unittest import mock

    from flows import nightly

    at = datetime(2025, 12, 30, 18, 0, tzinfo=UTC)  # 01:00 on the 31st in Asia/Ho_Chi_Minh
    with (
        mock.patch.object(nightly.flow_run, "get_name", return_value="quirky-firefly"),
        mock.patch.object(nightly.flow_run, "get_scheduled_start_time", return_value=at),
        mock.patch.object(nightly.flow_run, "get_parameters", return_value={"sources": None}),
    ):
        assert nightly.run_name() == "nightly-2025-12-31"
    with mock.patch.object(nightly.flow_run, "get_name", return_value="nightly-2025-12-31"):
        assert nightly.run_name() == "nightly-2025-12-31"  # a retry keeps its name
