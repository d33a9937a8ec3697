"""The bandits' posteriors are recounted by a scheduled workflow; the worker keeps the schedule."""

from contextlib import suppress
from datetime import timedelta

from temporalio.service import RPCError

from journeys.cart_abandonment import STAGE_1_TONE, STAGE_3_OFFER_HOT
from storage.experiment_arms import arm_posteriors
from tests.conftest import Stack, unique
from workers.schedules import REFRESH_SCHEDULE_ID, ensure_refresh_schedule
from workflows.experiment_refresh import ExperimentRefreshWorkflow


async def test_the_refresh_workflow_recounts_every_experiment(stack: Stack) -> None:
    summary = await stack.client.execute_workflow(
        ExperimentRefreshWorkflow.run, id=unique("refresh"), task_queue=stack.settings.task_queue
    )
    assert {STAGE_1_TONE.id, STAGE_3_OFFER_HOT.id, "winback_holdout_v1"} <= set(summary.experiments)
    async with stack.sessions() as session:
        stored = await arm_posteriors(session, STAGE_3_OFFER_HOT.id)
    assert set(stored) == {"coupon_10", "free_shipping"}


async def test_the_schedule_is_created_once(stack: Stack) -> None:
    every = timedelta(minutes=15)
    # A worker started by another test (journeyctl worker) keeps the schedule too: start clean.
    with suppress(RPCError):
        await stack.client.get_schedule_handle(REFRESH_SCHEDULE_ID).delete()
    created = await ensure_refresh_schedule(stack.client, stack.settings.task_queue, every)
    again = await ensure_refresh_schedule(stack.client, stack.settings.task_queue, every)
    handle = stack.client.get_schedule_handle(REFRESH_SCHEDULE_ID)
    description = await handle.describe()
    await handle.delete()
    assert (created, again) == (True, False)
    assert description.schedule.spec.intervals[0].every == every
