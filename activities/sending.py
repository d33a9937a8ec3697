"""One send as one activity: decide (and record), then deliver what was decided.

Two activities per send cost two round trips through the Temporal server and two workflow tasks;
folding them into one is the larger part of a send's cost on the orchestration side. Nothing is
lost by it: the decision is recorded under the attempt's idempotency key before delivery starts,
so a retry of this activity finds it and goes straight on to delivery, which itself resumes from
the ledger row and the delivery attempts (a send interrupted inside a provider call is settled as
`delivery_unconfirmed`, never repeated).

The activity heartbeats while it runs, so that a send on a worker that died is retried after the
heartbeat timeout (workflows/sending.py), not after the whole start-to-close timeout.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from temporalio import activity

from activities.decisions import DecisionActivities
from activities.delivery import DeliveryActivities
from models.journey_runs import DeliverMessage, PrepareMessage
from models.messages import MessageDecision, MessageStatus

# Well inside the heartbeat timeout; the first beat only after this long, so a send of a few
# milliseconds costs the server no heartbeat call.
HEARTBEAT_EVERY = timedelta(seconds=5)


@asynccontextmanager
async def heartbeating(every: timedelta) -> AsyncIterator[None]:
    async def beat() -> None:
        while True:
            await asyncio.sleep(every.total_seconds())
            activity.heartbeat()

    beating = asyncio.create_task(beat())
    try:
        yield
    finally:
        beating.cancel()


class SendActivities:
    def __init__(self, decisions: DecisionActivities, delivery: DeliveryActivities) -> None:
        self._decisions = decisions
        self._delivery = delivery

    @activity.defn
    async def decide_and_deliver(self, request: PrepareMessage) -> MessageDecision:
        """The decision as `prepare_message` takes it; a pending one is delivered at once and
        the delivered (or failed) decision returned, a deferred or suppressed one as it is."""
        async with heartbeating(HEARTBEAT_EVERY):
            decision = await self._decisions.prepare_message(request)
            if decision.status != MessageStatus.PENDING:
                return decision
            return await self._delivery.deliver_message(
                DeliverMessage(
                    message_id=decision.message_id,
                    channel=decision.channel,
                    fallback_channels=tuple(decision.fallback_channels),
                )
            )
