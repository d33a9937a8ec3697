"""The send as activities: adapters of the send path (sending/) to Temporal.

One send is one activity, `decide_and_deliver`: two activities per send cost two round trips
through the Temporal server and two workflow tasks. Nothing is lost by it: the decision is
recorded under the attempt's idempotency key before delivery starts, so a retry finds it and goes
straight on to delivery, which resumes from the ledger row and the delivery attempts.
`prepare_message` and `deliver_message` are the two halves as runs from before the interpreter's
third version call them (docs/patches.md says when they can go).

The send heartbeats while it runs, so that a send on a worker that died is retried after the
heartbeat timeout (workflows/sending.py), not after the whole start-to-close timeout.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError

from journeys.runs import DeliverMessage, PrepareMessage
from models.messages import MessageDecision
from sending import RetryLaterError, SendPath, UnknownMessageError

# Well inside the heartbeat timeout; the first beat only after this long, so a send of a few
# milliseconds costs the server no heartbeat call.
HEARTBEAT_EVERY = timedelta(seconds=5)

Result = TypeVar("Result")


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
    def __init__(self, path: SendPath) -> None:
        self._path = path

    @activity.defn
    async def decide_and_deliver(self, request: PrepareMessage) -> MessageDecision:
        async with heartbeating(HEARTBEAT_EVERY):
            return await _temporal_errors(self._path.send(request))

    @activity.defn
    async def prepare_message(self, request: PrepareMessage) -> MessageDecision:
        return await self._path.prepare(request)

    @activity.defn
    async def deliver_message(self, request: DeliverMessage) -> MessageDecision:
        return await _temporal_errors(self._path.deliver(request))


async def _temporal_errors(call: Awaitable[Result]) -> Result:
    """A delivery to retry later is retried by Temporal no sooner than the provider asked; an
    unknown message, never."""
    try:
        return await call
    except RetryLaterError as err:
        raise ApplicationError(
            str(err), type="RetryLater", next_retry_delay=err.retry_after
        ) from err
    except UnknownMessageError as err:
        raise ApplicationError(
            "no such message", type="UnknownMessage", non_retryable=True
        ) from err
