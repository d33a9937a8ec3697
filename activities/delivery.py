"""Delivering a decided message exactly once, on its channel or the next allowed one.

The ledger row is marked before the provider call (`delivery_started_at`) and settled after it;
every call and how it ended is kept in `delivery_attempts`.
- An attempt that died mid-call is found by the next one. A sender that honours idempotency keys
  is called again under the same key; SMTP is not (the mail may have gone): the row is settled
  `sent` with reason `delivery_unconfirmed`.
- A refusal for now (5xx, 429, provider unreachable) is retried by Temporal, no sooner than the
  provider's Retry-After (`next_retry_delay`), which also pauses the provider's token bucket.
- A refusal for good (invalid address, blocked number) moves the row to the next of the
  request's `fallback_channels` not refused yet, in the same activity; the row ends `sent` with
  reason `delivered_after_failover`, or `failed` with the last refusal when none is left.
Each provider call first waits for a token of the provider's bucket (channels/rate_limit.py);
a wait longer than THROTTLE_MAX_WAIT becomes a retry after that wait instead.
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from channels.base import DeliveryError, OutgoingMessage, Sender
from channels.compose import MessageComposer
from channels.personalise import UnfilledPlaceholderError, shows_coupon
from channels.rate_limit import TokenBucket
from models.channels import Channel
from models.customers import Customer
from models.events import EventType
from models.journey_runs import DeliverMessage
from models.messages import MessageDecision, MessageStatus
from models.tables import EventRow, MessageRow
from storage.contact_addresses import forget_address
from storage.customers import get_customer
from storage.delivery_attempts import AttemptOutcome, attempts_for_message, record_attempt
from storage.ledger import to_decision

log = structlog.get_logger()

THROTTLE_MAX_WAIT = 10.0


class DeliveryActivities:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        senders: Mapping[Channel, Sender],
        composer: MessageComposer,
        throttles: Mapping[Channel, TokenBucket] | None = None,
    ) -> None:
        self._sessions = sessions
        self._senders = senders
        self._composer = composer
        self._throttles = throttles or {}

    @activity.defn
    async def deliver_message(self, request: DeliverMessage) -> MessageDecision:
        channel = request.channel
        while True:
            if channel is None:  # the row says which; _begin checks it again under the lock
                async with self._sessions() as session:
                    row = await session.get(MessageRow, request.message_id)
                    if row is None:
                        raise _unknown_message()
                    if row.status != MessageStatus.PENDING:
                        return to_decision(row)  # delivered (or settled) by an earlier attempt
                    channel = Channel(row.channel)
            await self._wait_turn(channel)
            begun = await self._begin(request, channel)
            if isinstance(begun, MessageDecision):
                return begun
            if begun is None:
                channel = None  # moved to the next channel without a call
                continue
            try:
                provider_ref = await self._senders[channel].send(begun)
            except DeliveryError as err:
                settled = await self._refused(request, channel, err)
                if settled is not None:
                    return settled
                channel = None
                continue
            return await self._delivered(request.message_id, channel, provider_ref)

    async def _wait_turn(self, channel: Channel) -> None:
        bucket = self._throttles.get(channel)
        if bucket is None:
            return
        wait = await bucket.acquire(THROTTLE_MAX_WAIT)
        if wait:
            raise ApplicationError(
                f"{channel} provider at its rate limit",
                type="RateLimited",
                next_retry_delay=timedelta(seconds=wait),
            )

    async def _begin(
        self, request: DeliverMessage, channel: Channel
    ) -> OutgoingMessage | MessageDecision | None:
        """Mark the row as being delivered on `channel` and compose the message; or settle it,
        or move it on, when there is nothing to call."""
        async with self._sessions.begin() as session:
            row = await session.get(MessageRow, request.message_id, with_for_update=True)
            if row is None:
                raise _unknown_message()
            if row.status != MessageStatus.PENDING:
                return to_decision(row)
            if row.channel != channel:
                return None  # another attempt moved it meanwhile
            now = datetime.now(UTC)
            customer = await get_customer(session, row.customer_id)
            address = customer.address(channel) if customer else None
            refusal = _unreachable(customer, channel, address)
            if refusal is not None:
                record_attempt(
                    session, row.message_id, channel, AttemptOutcome.FAILED, refusal, now
                )
                return await _fail_over(session, row, request.fallback_channels, refusal)
            assert customer is not None and address is not None
            if row.delivery_started_at is not None:
                record_attempt(
                    session, row.message_id, channel, AttemptOutcome.UNKNOWN, "interrupted", now
                )
                if not self._senders[channel].idempotent:
                    # The earlier attempt may have delivered it: never send twice.
                    return _settle(row, MessageStatus.SENT, "delivery_unconfirmed")
            try:
                message = self._composer.compose(
                    message_id=row.message_id,
                    idempotency_key=row.idempotency_key,
                    journey=row.journey,
                    step=row.step,
                    channel=channel,
                    customer=customer,
                    address=address,
                    title=row.title or "",
                    body=row.body or "",
                    cta=row.cta or "",
                    disclaimers=list(row.disclaimers or []),
                    trigger_coupon_id=await _trigger_coupon(session, row),
                    now=now,
                )
            except UnfilledPlaceholderError:
                record_attempt(
                    session,
                    row.message_id,
                    channel,
                    AttemptOutcome.FAILED,
                    "unfilled_placeholder",
                    now,
                )
                return _settle(row, MessageStatus.FAILED, "unfilled_placeholder")
            row.delivery_started_at = now
            return message

    async def _refused(
        self, request: DeliverMessage, channel: Channel, err: DeliveryError
    ) -> MessageDecision | None:
        """Settle or move on after a final refusal (None: try the next channel); raise for a
        retry after a passing one."""
        now = datetime.now(UTC)
        outcome = AttemptOutcome.FAILED if err.final else AttemptOutcome.RETRY
        async with self._sessions.begin() as session:
            row = await session.get(MessageRow, request.message_id, with_for_update=True)
            assert row is not None
            row.delivery_started_at = None
            record_attempt(session, row.message_id, channel, outcome, err.reason, now)
            if err.dead_address:  # an unregistered push token: never used again
                await forget_address(session, row.customer_id, channel, err.dead_address)
            if err.final:
                return await _fail_over(session, row, request.fallback_channels, err.reason)
        if err.retry_after is not None and (bucket := self._throttles.get(channel)):
            bucket.pause(err.retry_after.total_seconds())
        raise ApplicationError(
            f"delivery failed: {err.reason}",
            type="DeliveryFailed",
            next_retry_delay=err.retry_after,
        ) from err

    async def _delivered(
        self, message_id: str, channel: Channel, provider_ref: str
    ) -> MessageDecision:
        now = datetime.now(UTC)
        async with self._sessions.begin() as session:
            row = await session.get(MessageRow, message_id, with_for_update=True)
            assert row is not None
            pending = row.status == MessageStatus.PENDING
            # Read before this attempt is added, so that the attempt and the row are written
            # together at commit rather than flushed for the query.
            earlier = await attempts_for_message(session, message_id) if pending else []
            record_attempt(
                session, message_id, channel, AttemptOutcome.SENT, "accepted", now, provider_ref
            )
            row.provider_ref = provider_ref
            row.delivered_at = row.delivered_at or now
            if not pending:
                return to_decision(row)  # a receipt (a bounce) settled it meanwhile
            failed_over = any(a.outcome == AttemptOutcome.FAILED for a in earlier)
            reason = "delivered_after_failover" if failed_over else "delivered"
            return _settle(row, MessageStatus.SENT, reason)


def _unknown_message() -> ApplicationError:
    return ApplicationError("no such message", type="UnknownMessage", non_retryable=True)


def _unreachable(customer: Customer | None, channel: Channel, address: str | None) -> str | None:
    """Why the channel cannot carry the message now (it could when the message was decided:
    an unsubscribe or a changed profile came in between), or None."""
    if customer is None or address is None:
        return "address_missing"
    if not customer.consent.get(channel, False) or channel in customer.unsubscribed_channels:
        return "no_consent"
    return None


async def _fail_over(
    session: AsyncSession, row: MessageRow, fallbacks: Sequence[Channel], reason: str
) -> MessageDecision | None:
    """Move the row to the first fallback channel not refused yet; settle it failed if none."""
    attempts = await attempts_for_message(session, row.message_id)
    refused = {a.channel for a in attempts if a.outcome == AttemptOutcome.FAILED}
    refused.add(row.channel)
    following = next((c for c in fallbacks if c not in refused), None)
    if following is None:
        return _settle(row, MessageStatus.FAILED, reason)
    log.info(
        "message failing over",
        workflow_id=row.workflow_id,
        customer_id=row.customer_id,
        message_id=row.message_id,
        refused_channel=row.channel,
        reason=reason,
        channel=following,
    )
    row.channel = following
    row.delivery_started_at = None
    row.updated_at = datetime.now(UTC)
    return None


async def _trigger_coupon(session: AsyncSession, row: MessageRow) -> str | None:
    """The coupon a coupon_issued trigger carried: the code its messages show (read only when
    the copy shows a code)."""
    if not shows_coupon(row.title, row.body, row.cta, *(row.disclaimers or [])):
        return None
    event = await session.get(EventRow, row.trigger_event_id)
    if event is None or event.type != EventType.COUPON_ISSUED:
        return None
    coupon = event.properties.get("coupon_id")
    return str(coupon) if coupon else None


def _settle(row: MessageRow, status: MessageStatus, reason: str) -> MessageDecision:
    row.status = status
    row.reason = reason
    row.updated_at = datetime.now(UTC)
    log.info(
        "message settled",
        workflow_id=row.workflow_id,
        customer_id=row.customer_id,
        message_id=row.message_id,
        channel=row.channel,
        status=status,
        reason=reason,
    )
    return to_decision(row)
