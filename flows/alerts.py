"""Alerts: a run of the nightly deployment that fails, crashes or is late posts to a webhook.

``chiso serve`` ships them with the deployment: a notification block (Prefect's
"Custom Webhook", POSTing JSON to ``CHISO_ALERT_WEBHOOK``) and an automation
on the server that sends it when a run of the deployment enters Failed,
Crashed or Late. The server evaluates the automation, not the serving
process: a run that never started because ``chiso serve`` was down at 01:00
is marked Late by the server (after ``PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS``),
and the alert still goes out. Nothing here needs the internet: the server
posts to whatever URL the operator gives (a chat webhook, a local relay).
"""

from __future__ import annotations

from uuid import UUID

from prefect.automations import Automation, EventTrigger, Posture, SendNotification
from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.client.orchestration import get_client

ALERT_STATES = ("Failed", "Crashed", "Late")
BLOCK_NAME = "chiso-nightly-alerts"
AUTOMATION_NAME = "chiso nightly: failed, crashed or late"
SUBJECT = "chiso {{ flow_run.name }}: {{ flow_run.state.name }}"
BODY = (
    "Run {{ flow_run.name }} of {{ deployment.name }} is {{ flow_run.state.name }}: "
    "{{ flow_run.state.message }}\n{{ flow_run|ui_url }}"
)
PAYLOAD = {
    "text": "{{subject}}\n{{body}}",  # a chat webhook shows this
    "subject": "{{subject}}",
    "body": "{{body}}",
}


def ensure_alerts(deployment_id: UUID, webhook_url: str) -> UUID:
    """Create (or replace) the webhook block and the automation for ``deployment_id``; return the
    automation's id."""
    block = CustomWebhookNotificationBlock(
        name="chiso nightly alerts", url=webhook_url, method="POST", json_data=PAYLOAD
    )
    block_id = block.save(BLOCK_NAME, overwrite=True)
    with get_client(sync_client=True) as client:  # one automation of this name, the current one
        for old in client.read_automations_by_name(name=AUTOMATION_NAME):
            client.delete_automation(old.id)
    created = Automation(
        name=AUTOMATION_NAME,
        description="Posts to CHISO_ALERT_WEBHOOK when a nightly run fails, crashes or is late "
        "(flows/alerts.py)",
        trigger=EventTrigger(
            expect={f"prefect.flow-run.{state}" for state in ALERT_STATES},
            match_related={"prefect.resource.id": f"prefect.deployment.{deployment_id}"},
            posture=Posture.Reactive,
            threshold=1,
        ),
        actions=[SendNotification(block_document_id=block_id, subject=SUBJECT, body=BODY)],
    ).create()
    assert isinstance(created, Automation) and created.id is not None  # sync: not a coroutine
    return created.id
