"""An alert raised and cleared by real traffic: welcome emails go out over SMTP, complaints
come in as signed provider receipts, the alerts' workflow (in the time-skipping environment)
raises the complaint-rate alert — recorded, sent to a webhook receiver and emailed to the
operators — pauses the journey for review, and clears it when clean sends bring the rate
back under its limit."""

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from alerts.settings import AlertSettings
from storage.alerts import list_alerts
from storage.switches import list_switches
from tests.conftest import Stack, eventually, mail_settings, worker_stack
from tests.smtp_server import SmtpSink
from tests.test_webhooks import channel_settings, post_receipts, receipt
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_webhook_delivery import register, sent_messages, signup
from workflows.alerts import AlertsWorkflow

OPERATOR = "ops-on-call@example.com"


@pytest.fixture
async def alert_stack(
    temporal_env: WorkflowEnvironment, tmp_path: Path, smtp: SmtpSink
) -> AsyncIterator[Stack]:
    # A database of its own: the rates are over every send in the window.
    url = f"sqlite+aiosqlite:///{tmp_path / 'alerts.db'}"
    from storage.database import migrate

    await migrate(url)
    settings = mail_settings(
        url,
        tmp_path,
        smtp,
        channels=channel_settings(),
        alerts=AlertSettings(
            every_minutes=0.01,
            min_volume=3,
            complaint_rate=0.3,
            unsubscribe_rate=None,
            delivery_failure_rate=None,
            tag_sync_lag_seconds=None,  # no profile updater runs beside this worker
            operators=[OPERATOR],
            pause_on_complaints=True,
        ),
    )
    async with worker_stack(temporal_env, settings) as stack:
        yield stack


async def test_a_complaint_spike_raises_an_alert_pauses_the_journey_and_clears_when_it_recovers(
    alert_stack: Stack, temporal_env: WorkflowEnvironment, smtp: SmtpSink
) -> None:
    stack, receiver = alert_stack, Receiver()
    await receiver.start()
    with temporal_env.with_time_skipping_disabled():
        await register(stack, receiver, "alert.raised", "alert.cleared")
        handle = await stack.client.start_workflow(
            AlertsWorkflow.run,
            0.5,
            id=f"alerts-{stack.settings.task_queue}",
            task_queue=stack.settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        try:
            customers = [await signup(stack) for _ in range(4)]

            async def all_sent() -> list[str]:
                found = [await sent_messages(stack, c) for c in customers]
                return [m[0] for m in found] if all(found) else []

            messages = await eventually(all_sent)
            assert len(messages) == 4
            assert await alerts(stack) == []  # four clean sends: nothing to say

            # Two of the four complain: 50 % against a limit of 30 %.
            for message_id in messages[:2]:
                response = await post_receipts(stack, [receipt("complained", message_id)])
                assert response.status_code == 200, response.text
            raised = await eventually(lambda: alerts(stack))
            assert [(a.threshold, a.scope, a.value, a.cleared_at) for a in raised] == [
                ("complaint_rate", {"journey": "welcome", "channel": "email"}, 0.5, None)
            ]
            assert raised[0].action == "paused_journey"
            async with stack.sessions() as session:
                switches = {s.switch_id: s for s in await list_switches(session)}
            assert switches["journey:welcome"].paused
            assert switches["journey:welcome"].changed_by == "alerts"
            mails = await eventually(lambda: _mails(smtp, "raised"))
            assert "complaint_rate" in mails[0]["Subject"]
            assert "is paused" in mails[0].as_string()
            assert await eventually(lambda: _types(receiver)) == ["alert.raised"]

            # A person reviews and resumes; clean sends bring the rate to 2 in 7 (29 %).
            resume = await stack.http.put(
                "/v1/ops/switches/journey/welcome", json={"paused": False, "reason": "reviewed"}
            )
            assert resume.status_code == 200
            more = [await signup(stack) for _ in range(3)]

            async def cleared() -> list[Any]:
                found = await alerts(stack)
                return found if found and found[0].cleared_at is not None else []

            assert await eventually(cleared, timeout=40)
            assert all([await sent_messages(stack, c) for c in more])
            assert await eventually(lambda: _mails(smtp, "cleared"))
            assert await eventually(lambda: _types(receiver, 2)) == [
                "alert.raised",
                "alert.cleared",
            ]
            listed = (await stack.http.get("/v1/ops/alerts")).json()
            assert listed[0]["threshold"] == "complaint_rate" and listed[0]["cleared_at"]
        finally:
            with contextlib.suppress(RPCError):
                await handle.terminate()
            await receiver.stop()


async def alerts(stack: Stack) -> list[Any]:
    async with stack.sessions() as session:
        return await list_alerts(session)


async def _mails(smtp: SmtpSink, change: str) -> list[Any]:
    return [m for m in smtp.to(OPERATOR) if m["Subject"].startswith(f"Alert {change}")]


async def _types(receiver: Receiver, count: int = 1) -> list[str]:
    types = [d["type"] for d in receiver.received]
    return types if len(types) >= count else []
