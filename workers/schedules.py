"""Temporal Schedules the worker keeps in place: the experiments' posterior refresh."""

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)

from workflows.experiment_refresh import ExperimentRefreshWorkflow

REFRESH_SCHEDULE_ID = "experiment-refresh"


async def ensure_refresh_schedule(client: Client, task_queue: str, every: timedelta) -> bool:
    """Create the refresh schedule unless it exists (every worker calls this; one wins)."""
    try:
        await client.create_schedule(
            REFRESH_SCHEDULE_ID,
            Schedule(
                action=ScheduleActionStartWorkflow(
                    ExperimentRefreshWorkflow.run,
                    id=REFRESH_SCHEDULE_ID,
                    task_queue=task_queue,
                ),
                spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
                policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
            ),
        )
    except ScheduleAlreadyRunningError:
        return False
    return True
