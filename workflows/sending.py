"""One send, from the workflow's side: decide and record it, then deliver it.

Deterministic code called from the interpreter; the activities it runs carry the side effects.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.decisions import DecisionActivities
    from activities.delivery import DeliveryActivities
    from models.journey_runs import DeliverMessage, PrepareMessage
    from models.messages import MessageDecision, MessageStatus

ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)


async def send_message(request: PrepareMessage) -> MessageDecision:
    decision = await workflow.execute_activity_method(
        DecisionActivities.prepare_message,
        request,
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=ACTIVITY_RETRY,
    )
    if decision.status != MessageStatus.PENDING:
        return decision
    return await workflow.execute_activity_method(
        DeliveryActivities.deliver_message,
        DeliverMessage(message_id=decision.message_id),
        start_to_close_timeout=timedelta(seconds=60),
        retry_policy=ACTIVITY_RETRY,
    )
