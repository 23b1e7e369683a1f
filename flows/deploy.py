"""The nightly deployment: 01:00 every night, Asia/Ho_Chi_Minh.

Operators start the server and UI, then serve the deployment (README):

    .venv/bin/prefect server start --host 127.0.0.1 --analytics-off     # UI at http://127.0.0.1:4200
    PREFECT_API_URL=http://127.0.0.1:4200/api .venv/bin/chiso serve
"""

from __future__ import annotations

from prefect.schedules import Cron

from flows.nightly import nightly

SCHEDULE = Cron("0 1 * * *", timezone="Asia/Ho_Chi_Minh")


def serve() -> None:
    nightly.serve(
        name="nightly",
        schedules=[SCHEDULE],
        description="Plan 190 warehouse: extract, stage, core, validate, indicators, publish",
    )
