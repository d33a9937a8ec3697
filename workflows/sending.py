"""One send, from the workflow's side: decide and record it, wait out a deferral, deliver it.

Deterministic code called from the interpreter; the activities it runs carry the side effects.
A deferral (quiet hours, a cap) is a durable timer followed by a fresh decision — a new ledger
row under the key `<step key>#<attempt>` — never a sleeping activity and never a dropped message.
"""

from collections.abc import Callable
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


async def send_message(
    request: PrepareMessage, interrupted: Callable[[], bool] = lambda: False
) -> MessageDecision:
    """Decide until the answer is not "defer", then deliver; returns the last decision.

    `interrupted` ends a deferral early (an exit event arrived): the deferred decision is returned
    and the caller decides what comes next.
    """
    while True:
        decision = await workflow.execute_activity_method(
            DecisionActivities.prepare_message,
            request,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=ACTIVITY_RETRY,
        )
        if decision.status != MessageStatus.DEFERRED or decision.deferred_until is None:
            break
        wait = decision.deferred_until - workflow.now()
        if wait > timedelta(0):
            try:
                await workflow.wait_condition(interrupted, timeout=wait)
                return decision
            except TimeoutError:
                pass
        request = request.model_copy(
            update={"attempt": request.attempt + 1, "decided_at": workflow.now()}
        )
    if decision.status != MessageStatus.PENDING:
        return decision
    return await workflow.execute_activity_method(
        DeliveryActivities.deliver_message,
        DeliverMessage(
            message_id=decision.message_id,
            fallback_channels=tuple(decision.fallback_channels),
        ),
        start_to_close_timeout=timedelta(seconds=60),
        retry_policy=ACTIVITY_RETRY,
    )
