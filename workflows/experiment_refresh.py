"""The scheduled recount of the bandits' posteriors (a Temporal Schedule starts it)."""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.experiments import ExperimentActivities, RefreshRequest, RefreshSummary
    from workflows.sending import ACTIVITY_RETRY


@workflow.defn(name="ExperimentRefresh")
class ExperimentRefreshWorkflow:
    @workflow.run
    async def run(self) -> RefreshSummary:
        return await workflow.execute_activity_method(
            ExperimentActivities.refresh_experiments,
            RefreshRequest(now=workflow.now()),
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=ACTIVITY_RETRY,
        )
