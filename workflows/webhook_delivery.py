"""One workflow per webhook endpoint (id `webhook:<endpoint id>`): delivery passes, one after
another, with the endpoint's poll or backoff between them; ends when the endpoint is deleted.

The passes themselves are the activity's (webhooks/delivery.py); a failed attempt is not an
activity failure but a result with a backoff, so the wait is a durable timer that a `nudge`
(a replay asked for) cuts short. Continues as new every few hundred passes.
"""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.webhooks import DeliveryPass, WebhookActivities
    from workflows.sending import ACTIVITY_RETRY

PASSES_PER_RUN = 200


def workflow_id(endpoint_id: str) -> str:
    return f"webhook:{endpoint_id}"


@workflow.defn(name="WebhookDelivery")
class WebhookDeliveryWorkflow:
    def __init__(self) -> None:
        self._nudged = False

    @workflow.run
    async def run(self, endpoint_id: str) -> None:
        for _ in range(PASSES_PER_RUN):
            result = await workflow.execute_activity_method(
                WebhookActivities.deliver_webhooks,
                DeliveryPass(endpoint_id=endpoint_id, now=workflow.now()),
                start_to_close_timeout=timedelta(minutes=10),
                retry_policy=ACTIVITY_RETRY,
            )
            if result.gone:
                return
            if result.wait_seconds > 0:
                try:
                    await workflow.wait_condition(
                        lambda: self._nudged, timeout=timedelta(seconds=result.wait_seconds)
                    )
                except TimeoutError:
                    pass
            self._nudged = False
        workflow.continue_as_new(endpoint_id)

    @workflow.signal
    def nudge(self) -> None:
        """Look again now (a dead letter to replay, an endpoint back up)."""
        self._nudged = True
