"""The alerts' evaluation loop (id `alerts`, one per namespace; the worker starts it): evaluate
the thresholds over the sliding window, wait, again; continues as new every few hundred rounds."""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.alerts import AlertActivities, AlertCheck
    from workflows.sending import ACTIVITY_RETRY

WORKFLOW_ID = "alerts"
ROUNDS_PER_RUN = 200


@workflow.defn(name="Alerts")
class AlertsWorkflow:
    @workflow.run
    async def run(self, every_seconds: float) -> None:
        for _ in range(ROUNDS_PER_RUN):
            await workflow.execute_activity_method(
                AlertActivities.evaluate_alerts,
                AlertCheck(now=workflow.now()),
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=ACTIVITY_RETRY,
            )
            await workflow.sleep(timedelta(seconds=every_seconds))
        workflow.continue_as_new(every_seconds)
