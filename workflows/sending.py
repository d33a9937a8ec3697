"""One send, from the workflow's side: decide and record it, wait out a deferral, deliver it.

Deterministic code called from the interpreter; the activities it runs carry the side effects.
A deferral (quiet hours, a cap) is a durable timer followed by a fresh decision — a new ledger
row under the key `<step key>#<attempt>` — never a sleeping activity and never a dropped message.

Runs from before the interpreter's third version decide in one activity and deliver in a second;
newer runs do both in `decide_and_deliver` (activities/sending.py), one round trip instead of two.
"""

from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.sending import SendActivities
    from journeys.runs import DeliverMessage, PrepareMessage
    from models.messages import MessageDecision, MessageStatus

ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)
# The activities that take a send's decision (and whose input is its PrepareMessage), by name:
# for readers of histories (the simulator's timeline, tests).
DECISION_ACTIVITIES = frozenset({"decide_and_deliver", "prepare_message"})
DECIDE_TIMEOUT = timedelta(seconds=30)
DELIVER_TIMEOUT = timedelta(seconds=60)
# A send whose worker died is retried after this (it heartbeats while it runs), not after the
# whole start-to-close timeout; long enough that a busy worker's send is not taken for dead.
SEND_HEARTBEAT_TIMEOUT = timedelta(seconds=30)


async def send_message(
    request: PrepareMessage, interrupted: Callable[[], bool], *, one_activity: bool
) -> MessageDecision:
    """Decide until the answer is not "defer", then deliver; returns the last decision.

    `interrupted` ends a deferral early (an exit event arrived): the deferred decision is returned
    and the caller decides what comes next. `one_activity` is the run's choice, made once per
    run (a patch decided per send would flip between the sends of a run in flight at a deploy).
    """
    while True:
        if one_activity:
            decision = await workflow.execute_activity_method(
                SendActivities.decide_and_deliver,
                request,
                start_to_close_timeout=DECIDE_TIMEOUT + DELIVER_TIMEOUT,
                heartbeat_timeout=SEND_HEARTBEAT_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
        else:
            decision = await workflow.execute_activity_method(
                SendActivities.prepare_message,
                request,
                start_to_close_timeout=DECIDE_TIMEOUT,
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
        return decision  # settled, or delivered by decide_and_deliver
    return await workflow.execute_activity_method(
        SendActivities.deliver_message,
        DeliverMessage(
            message_id=decision.message_id,
            fallback_channels=tuple(decision.fallback_channels),
        ),
        start_to_close_timeout=DELIVER_TIMEOUT,
        retry_policy=ACTIVITY_RETRY,
    )
