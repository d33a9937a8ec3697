"""Temporal Schedules the worker keeps in place: the experiments' posterior refresh, the
profile's hourly batch and its daily dormancy scan, the recommendations' monthly retraining."""

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
)
from temporalio.common import WorkflowIDConflictPolicy

from alerts.settings import AlertSettings
from profiles.settings import ProfileSettings
from recommendations.settings import RecommendationSettings
from workflows.alerts import WORKFLOW_ID as ALERTS_WORKFLOW_ID
from workflows.alerts import AlertsWorkflow
from workflows.experiment_refresh import ExperimentRefreshWorkflow
from workflows.profile_scan import ProfileScanWorkflow, ScanInput
from workflows.recommendation_retrain import RecommendationRetrainWorkflow

REFRESH_SCHEDULE_ID = "experiment-refresh"
PROFILE_BATCH_SCHEDULE_ID = "profile-batch"
DORMANCY_SCAN_SCHEDULE_ID = "dormancy-scan"
RETRAIN_SCHEDULE_ID = "recommendation-retrain"


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


async def ensure_profile_schedules(
    client: Client, task_queue: str, settings: ProfileSettings
) -> list[str]:
    """The hourly batch of tags and the daily scan, unless they exist; returns those created."""
    scans = {
        PROFILE_BATCH_SCHEDULE_ID: (
            ScanInput(scan="on_change"),
            ScheduleSpec(
                intervals=[
                    ScheduleIntervalSpec(every=timedelta(minutes=settings.batch_every_minutes))
                ]
            ),
        ),
        DORMANCY_SCAN_SCHEDULE_ID: (
            ScanInput(scan="daily"),
            ScheduleSpec(
                calendars=[
                    ScheduleCalendarSpec(hour=[ScheduleRange(settings.dormancy_scan_hour_utc)])
                ]
            ),
        ),
    }
    created = []
    for schedule_id, (scan, spec) in scans.items():
        scan = scan.model_copy(
            update={
                "page_size": settings.page_size,
                "starts_per_second": settings.starts_per_second,
            }
        )
        try:
            await client.create_schedule(
                schedule_id,
                Schedule(
                    action=ScheduleActionStartWorkflow(
                        ProfileScanWorkflow.run, scan, id=schedule_id, task_queue=task_queue
                    ),
                    spec=spec,
                    # A scan still running when the next is due: the next waits its turn.
                    policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.BUFFER_ONE),
                ),
            )
        except ScheduleAlreadyRunningError:
            continue
        created.append(schedule_id)
    return created


async def ensure_alerts_workflow(client: Client, task_queue: str, settings: AlertSettings) -> None:
    """Start the alerts' evaluation loop unless it runs (every worker calls this; one runs)."""
    await client.start_workflow(
        AlertsWorkflow.run,
        settings.every_minutes * 60,
        id=ALERTS_WORKFLOW_ID,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )


async def ensure_retrain_schedule(
    client: Client, task_queue: str, settings: RecommendationSettings
) -> bool:
    """The monthly retraining with its outcomes and click-through reading, unless it exists."""
    try:
        await client.create_schedule(
            RETRAIN_SCHEDULE_ID,
            Schedule(
                action=ScheduleActionStartWorkflow(
                    RecommendationRetrainWorkflow.run, id=RETRAIN_SCHEDULE_ID, task_queue=task_queue
                ),
                spec=ScheduleSpec(
                    calendars=[
                        ScheduleCalendarSpec(
                            day_of_month=[ScheduleRange(settings.retrain_day_of_month)],
                            hour=[ScheduleRange(settings.retrain_hour_utc)],
                        )
                    ]
                ),
                policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
            ),
        )
    except ScheduleAlreadyRunningError:
        return False
    return True
