"""The recommendations' monthly job (a Temporal Schedule starts it): attribute the picks'
orders and read their click-through against its baseline by the alarm's one rule (the Alerts
workflow raises and clears that alert, docs/alerts.md), then retrain the model and switch to
the new version."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.recommendations import (
        MonthlyRun,
        OutcomeCheck,
        RecommendationActivities,
        RetrainRequest,
    )
    from workflows.sending import ACTIVITY_RETRY

# A failed training is tried twice more, an hour apart; the active version serves meanwhile.
TRAIN_RETRY = RetryPolicy(initial_interval=timedelta(hours=1), maximum_attempts=3)


@workflow.defn(name="RecommendationRetrain")
class RecommendationRetrainWorkflow:
    @workflow.run
    async def run(self) -> MonthlyRun:
        now = workflow.now()
        outcomes = await workflow.execute_activity_method(
            RecommendationActivities.check_recommendation_outcomes,
            OutcomeCheck(now=now),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=ACTIVITY_RETRY,
        )
        trained = await workflow.execute_activity_method(
            RecommendationActivities.retrain_recommendations,
            RetrainRequest(version=f"recs-{now:%Y%m%d-%H%M}", now=now),
            start_to_close_timeout=timedelta(hours=2),
            heartbeat_timeout=timedelta(minutes=2),
            retry_policy=TRAIN_RETRY,
        )
        return MonthlyRun(outcomes=outcomes, trained=trained)
