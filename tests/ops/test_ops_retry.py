"""`journeyctl ops retry-failed`: journeys failed by a broken release are reset onto the fixed
code; a timed-out one is restarted with its input and signals; a second run changes nothing."""

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from journeys.runs import JourneyState
from ops.retry import reset_point
from tests.conftest import Stack, make_settings, unique
from tests.journey_helpers import midday_timezone, put_customer
from tests.ops.broken_journey import (
    ActivityFailingCartAbandonment,
    BrokenCartAbandonment,
    refuse_delivery,
)
from tests.ops.helpers import cli_env, journeyctl, start_cart_journey
from tests.smtp_server import SmtpSink
from workers.build import build_worker


async def closed_with(handle, status: WorkflowExecutionStatus) -> None:
    for _ in range(100):
        if (await handle.describe()).status == status:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{handle.id} never reached {status}")


async def test_failed_journeys_are_reset_or_restarted_once(
    temporal_env: WorkflowEnvironment, sqlite_url: str, smtp: SmtpSink, tmp_path: Path
) -> None:
    client = temporal_env.client
    settings = make_settings(sqlite_url, tmp_path, smtp_host=smtp.host, smtp_port=smtp.port)
    stack = Stack(settings, client)
    kind = f"test_kind_{uuid.uuid4().hex[:8]}"
    failing, timing_out = unique("c"), unique("c")
    for customer_id in (failing, timing_out):
        await put_customer(
            stack,
            customer_id,
            email=f"{customer_id}@example.com",
            consent={"email": True},
            # Awake at every stage (30 min, 4 h, 24 h on): no quiet-hours deferral past the
            # 25 h the test moves the clock by, whatever the hour the suite runs at.
            timezone=midday_timezone(),
        )

    # A broken release fails the first journey on its first workflow task.
    async with Worker(client, task_queue=settings.task_queue, workflows=[BrokenCartAbandonment]):
        broken = await start_cart_journey(client, settings.task_queue, failing, kind)
        with pytest.raises(WorkflowFailureError):
            await broken.result()
    # No worker at all: the second journey times out before any workflow task completes.
    stuck = await start_cart_journey(
        client, settings.task_queue, timing_out, kind, execution_timeout=timedelta(seconds=2)
    )
    await closed_with(stuck, WorkflowExecutionStatus.TIMED_OUT)
    failed_runs = {broken.id: broken.result_run_id, stuck.id: stuck.result_run_id}

    env = cli_env(client, settings)
    dry = await journeyctl(
        env, "ops", "retry-failed", "--journey", kind, "--since", "1h", "--dry-run"
    )
    assert dry.exit_code == 0, dry.output
    assert "2 failed or timed-out" in dry.output
    assert "reset" in dry.output and "restart" in dry.output and "nothing changed" in dry.output
    for workflow_id, run_id in failed_runs.items():
        assert (await client.get_workflow_handle(workflow_id).describe()).run_id == run_id

    # The fixed release is deployed; the operator retries and confirms at the prompt.
    async with build_worker(client, settings, stack.sessions):
        done = await journeyctl(
            env, "ops", "retry-failed", "--journey", kind, "--since", "1h", input="y\n"
        )
        assert done.exit_code == 0, done.output
        assert "report: 2 retried (1 reset, 1 restarted), 0 errors, 0 skipped" in done.output

        for workflow_id, failed_run in failed_runs.items():
            handle = client.get_workflow_handle(workflow_id, result_type=JourneyState)
            assert (await handle.describe()).run_id != failed_run
            await temporal_env.fast_forward(handle, timedelta(hours=25))
            state = await handle.result()
            assert state.status == "completed"
            assert [m.step for m in state.messages] == ["stage_1", "stage_2", "stage_3"]

        again = await journeyctl(
            env, "ops", "retry-failed", "--journey", kind, "--since", "1h", "--yes"
        )
        assert again.exit_code == 0, again.output
        assert again.output.count("already retried") == 2
        assert "nothing to retry" in again.output

    await stack.close()


async def test_a_journey_failed_by_an_activity_is_reset_to_before_that_activity(
    temporal_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    client = temporal_env.client
    settings = make_settings(sqlite_url, tmp_path)
    async with Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[ActivityFailingCartAbandonment],
        activities=[refuse_delivery],
    ):
        handle = await start_cart_journey(client, settings.task_queue, unique("c"), unique("k"))
        with pytest.raises(WorkflowFailureError):
            await handle.result()

    events = list((await handle.fetch_history()).events)
    event_id, reason = reset_point(events)
    scheduled = next(
        e for e in events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    )
    reset_to = next(e for e in events if e.event_id == event_id)
    assert reason == "activity deliver_message failed: run it again"
    assert reset_to.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    assert (
        event_id
        == scheduled.activity_task_scheduled_event_attributes.workflow_task_completed_event_id
    )
