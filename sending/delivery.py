"""Delivering a decided message exactly once, on its channel or the next allowed one.

The common case is one transaction, or one statement on each side of the provider call:
- A channel whose provider is our own database (the dev outbox) is delivered in one transaction:
  the outbox row, the copy, the settled ledger row and the attempt commit together, so there is
  no window between "handed over" and "recorded" to guard.
- Any other provider: one statement writes the copy and marks the row `delivery_started_at`
  (only while it is still pending, so an unsubscribe that suppressed it meanwhile wins), then
  the provider call, then one transaction settles the row and records the attempt.
The customer is the one the decision read under its lock; consent withdrawn since then has
suppressed the row, which the conditional writes see.

Everything else resumes from the ledger row and `delivery_attempts` (under the row's lock):
- An attempt that died mid-call is found by the next one. A sender that honours idempotency keys
  is called again under the same key; SMTP is not (the mail may have gone): the row is settled
  `sent` with reason `delivery_unconfirmed`.
- A refusal for now (5xx, 429, provider unreachable) raises RetryLater, to be retried no sooner
  than the provider's Retry-After, which also pauses the provider's token bucket.
- A refusal for good (invalid address, blocked number) moves the row to the next of the
  message's fallback channels not refused yet (its reason becomes `failed_over`); the row ends
  `sent` with reason `delivered_after_failover`, or `failed` with the last refusal when none is
  left. The copy is written again for the channel that now carries the message (an SMS gets
  SMS copy, not the email's), when the caller can write copy (`Parcel.rewrite`): the move clears
  the row's copy, and the new copy goes on the row before the call.
Each provider call first waits for a token of the provider's bucket (channels/rate_limit.py);
a wait longer than THROTTLE_MAX_WAIT becomes a RetryLater after that wait instead.
"""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.base import DeliveryError, OutgoingMessage, Sender, TransactionalSender
from channels.compose import MessageComposer
from channels.personalise import UnfilledPlaceholderError, shows_coupon
from channels.rate_limit import TokenBucket
from models.channels import Channel
from models.customers import Customer
from models.events import EventType
from models.messages import MessageDecision, MessageStatus
from models.tables import EventRow, MessageRow
from storage.contacts import forget_address
from storage.customers import get_customer
from storage.database import Executor, autocommit, engine_of
from storage.delivery_attempts import AttemptOutcome, attempts_for_message, record_attempt
from storage.ledger import (
    StoredCopy,
    settle_delivered,
    settle_unstarted,
    start_delivery,
    to_decision,
)

log = structlog.get_logger()

THROTTLE_MAX_WAIT = 10.0
DELIVERED = "delivered"
DELIVERED_AFTER_FAILOVER = "delivered_after_failover"
FAILED_OVER = "failed_over"  # a pending row moved to a fallback channel


class UnknownMessageError(Exception):
    """No ledger row for the message: nothing to deliver, now or later."""


# Writes a message's copy for a channel it fails over to, for this customer.
CopyFor = Callable[[Channel, Customer], Awaitable[StoredCopy]]


class RetryLaterError(Exception):
    """Not delivered now; try again after `retry_after` (None: the caller's own back-off)."""

    def __init__(self, reason: str, retry_after: timedelta | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class Parcel:
    """A pending decision on its way: what delivery needs beyond the ledger row.

    `copy` None: already on the row. `customer` None: read it. `trigger_coupon_id` is the code
    of a coupon_issued trigger (None: the message gets a code of its own), unless
    `coupon_known` is False: then it is read from the trigger event when the copy shows a code.
    `copy` is written for `decision.channel`; `rewrite` writes it for another channel (None, for
    a delivery that does not know the decision's request: the copy stays as it is).
    """

    decision: MessageDecision
    copy: StoredCopy | None
    customer: Customer | None
    trigger_coupon_id: str | None
    coupon_known: bool = True
    rewrite: CopyFor | None = None


@dataclass(frozen=True)
class _Begun:
    """A delivery marked started under the row's lock: the message to hand over, the row's
    decision, and whether it failed over from another channel before."""

    message: OutgoingMessage
    decision: MessageDecision
    failed_over: bool


class Delivery:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        senders: Mapping[Channel, Sender],
        composer: MessageComposer,
        throttles: Mapping[Channel, TokenBucket] | None = None,
        *,
        providers: Mapping[Channel, str],
    ) -> None:
        self._sessions = sessions
        self._engine = engine_of(sessions)
        self._single_statements = autocommit(sessions)
        self._senders = senders
        self._composer = composer
        self._throttles = throttles or {}
        self._providers = providers

    async def deliver(self, parcel: Parcel) -> MessageDecision:
        """Deliver a pending decision; returns it settled (or as it stands when it was no longer
        pending). Raises RetryLaterError and UnknownMessageError."""
        decision, customer = parcel.decision, parcel.customer
        failed_over = decision.reason == FAILED_OVER
        channel = Channel(decision.channel) if decision.channel else None
        if channel is None or _unreachable(customer, channel) is not None:
            return await self._resume(parcel, failed_over)
        assert customer is not None
        await self._wait_turn(channel)
        now = datetime.now(UTC)
        try:
            message = self._compose(parcel, channel, customer, now)
        except UnfilledPlaceholderError:
            return await self._resume(parcel, failed_over)  # settled failed, copy kept
        reason = DELIVERED_AFTER_FAILOVER if failed_over else DELIVERED
        sender = self._senders[channel]
        if isinstance(sender, TransactionalSender):
            async with self._engine.begin() as transaction:
                reference = sender.reference(message)
                if await settle_unstarted(
                    transaction, message.message_id, channel, parcel.copy, reason, reference, now
                ):
                    await sender.add(transaction, message)
                    await self._attempt(transaction, message, now, reference)
                    return _settled(decision, reason, parcel.copy, channel)
        elif await start_delivery(
            self._single_statements, message.message_id, channel, parcel.copy, now
        ):
            return await self._call(parcel, message, failed_over)
        # Suppressed, moved or started since the decision: the row says what comes next.
        return await self._resume(parcel, failed_over)

    async def deliver_recorded(
        self, message_id: str, fallbacks: Sequence[Channel]
    ) -> MessageDecision:
        """Deliver a message from its ledger row alone (its copy is on it already)."""
        async with self._sessions() as session:
            row = await session.get(MessageRow, message_id)
        if row is None:
            raise UnknownMessageError(message_id)
        decision = to_decision(row).model_copy(update={"fallback_channels": list(fallbacks)})
        return await self._resume(Parcel(decision, None, None, None, coupon_known=False), False)

    async def _call(
        self, parcel: Parcel, message: OutgoingMessage, failed_over: bool
    ) -> MessageDecision:
        """The provider call for a started delivery, then the row settled with its attempt."""
        decision, copy = parcel.decision, parcel.copy
        try:
            reference = await self._senders[message.channel].send(message)
        except DeliveryError as err:
            settled = await self._refused(decision, message.channel, err, parcel.rewrite)
            if settled is not None:
                return settled
            # Moved to the next channel: the row's copy there is written anew, or read from it.
            moved = Parcel(decision, None, parcel.customer, None, False, parcel.rewrite)
            return await self._resume(moved, True)
        now = datetime.now(UTC)
        reason = DELIVERED_AFTER_FAILOVER if failed_over else DELIVERED
        async with self._sessions.begin() as session:
            await self._attempt(session, message, now, reference)
            if await settle_delivered(session, message.message_id, reason, reference, now):
                return _settled(decision, reason, copy, message.channel)
            row = await session.get(MessageRow, message.message_id)
            assert row is not None
            return to_decision(row)  # a receipt (a bounce) settled it meanwhile

    async def _resume(self, parcel: Parcel, failed_over: bool) -> MessageDecision:
        """Deliver from what the ledger row says, under its lock: the path of a retried,
        interrupted, suppressed or moved delivery."""
        channel: str | None = parcel.decision.channel
        while True:
            if channel is not None:
                await self._wait_turn(Channel(channel))
            begun = await self._begin(parcel, channel)
            if isinstance(begun, MessageDecision):
                return begun
            if isinstance(begun, str):  # on another channel now: its turn first
                channel = begun
                parcel = await self._copy_for(parcel, Channel(channel))
                continue
            failed_over = failed_over or begun.failed_over
            started = replace(parcel, decision=begun.decision, copy=None)
            return await self._call(started, begun.message, failed_over)

    async def _copy_for(self, parcel: Parcel, channel: Channel) -> Parcel:
        """The parcel with copy written for `channel`, the one a failover moved the message to
        (outside any transaction: the copy may take LLM calls)."""
        if parcel.rewrite is None or parcel.decision.channel == channel:
            return parcel
        customer = parcel.customer
        if customer is None:
            async with self._sessions() as session:
                customer = await get_customer(session, parcel.decision.customer_id)
        if customer is None:
            return parcel  # gone: the next attempt finds nothing to deliver to
        moved = parcel.decision.model_copy(update={"channel": channel})
        copy = await parcel.rewrite(channel, customer)
        return replace(parcel, decision=moved, copy=copy, customer=customer)

    async def _begin(self, parcel: Parcel, channel: str | None) -> _Begun | MessageDecision | str:
        """Mark the row as being delivered on `channel` and compose the message; or settle it,
        or move it on, when there is nothing to call; or name the row's channel when it is not
        `channel`."""
        now = datetime.now(UTC)
        fallbacks = parcel.decision.fallback_channels
        async with self._sessions.begin() as session:
            row = await session.get(MessageRow, parcel.decision.message_id, with_for_update=True)
            if row is None:
                raise UnknownMessageError(parcel.decision.message_id)
            if row.status != MessageStatus.PENDING:
                return to_decision(row)
            if row.channel != channel:
                return str(row.channel)
            assert channel is not None  # a pending row always has its channel
            customer = await get_customer(session, row.customer_id)
            refusal = _unreachable(customer, Channel(channel))
            if refusal is not None:
                await record_attempt(
                    session,
                    row.message_id,
                    channel,
                    AttemptOutcome.FAILED,
                    refusal,
                    now,
                    provider=None,  # refused before any provider was called
                )
                moved = await _fail_over(
                    session, row, fallbacks, refusal, parcel.rewrite is not None
                )
                return moved if moved is not None else str(row.channel)
            assert customer is not None
            if row.delivery_started_at is not None:
                await record_attempt(
                    session,
                    row.message_id,
                    channel,
                    AttemptOutcome.UNKNOWN,
                    "interrupted",
                    now,
                    provider=self._provider(channel),
                )
                if not self._senders[Channel(channel)].idempotent:
                    # The earlier attempt may have delivered it: never send twice.
                    return _settle(row, MessageStatus.SENT, "delivery_unconfirmed")
            fresh = parcel.copy is not None and parcel.decision.channel == channel
            if fresh and row.title is None and row.body is None:
                assert parcel.copy is not None
                for name, value in parcel.copy.values().items():
                    setattr(row, name, value)
            coupon = parcel.trigger_coupon_id
            if not parcel.coupon_known:
                coupon = await _trigger_coupon(session, row)
            # The fallbacks the caller knows (a legacy delivery's request names them).
            decision = to_decision(row).model_copy(update={"fallback_channels": fallbacks})
            try:
                message = self._compose(
                    Parcel(decision, None, customer, coupon), Channel(channel), customer, now
                )
            except UnfilledPlaceholderError:
                await record_attempt(
                    session,
                    row.message_id,
                    channel,
                    AttemptOutcome.FAILED,
                    "unfilled_placeholder",
                    now,
                    provider=None,
                )
                return _settle(row, MessageStatus.FAILED, "unfilled_placeholder")
            failed_over = row.reason == FAILED_OVER or any(
                a.outcome == AttemptOutcome.FAILED
                for a in await attempts_for_message(session, row.message_id)
            )
            row.delivery_started_at = now
            return _Begun(message, decision, failed_over)

    async def _refused(
        self,
        decision: MessageDecision,
        channel: Channel,
        err: DeliveryError,
        rewrite: CopyFor | None,
    ) -> MessageDecision | None:
        """Settle or move on after a final refusal (None: try the next channel); raise
        RetryLaterError after a passing one."""
        now = datetime.now(UTC)
        outcome = AttemptOutcome.FAILED if err.final else AttemptOutcome.RETRY
        async with self._sessions.begin() as session:
            row = await session.get(MessageRow, decision.message_id, with_for_update=True)
            assert row is not None
            row.delivery_started_at = None
            await record_attempt(
                session,
                row.message_id,
                channel,
                outcome,
                err.reason,
                now,
                provider=self._provider(channel),
            )
            if err.dead_address:  # an unregistered push token: never used again
                await forget_address(session, row.customer_id, channel, err.dead_address)
            if err.final:
                return await _fail_over(
                    session, row, decision.fallback_channels, err.reason, rewrite is not None
                )
        if err.retry_after is not None and (bucket := self._throttles.get(channel)):
            bucket.pause(err.retry_after.total_seconds())
        raise RetryLaterError(f"delivery failed: {err.reason}", err.retry_after) from err

    def _provider(self, channel: str) -> str | None:
        return self._providers.get(Channel(channel))

    async def _attempt(
        self, executor: Executor, message: OutgoingMessage, at: datetime, reference: str
    ) -> None:
        """The provider's acceptance of a message, in the delivery attempts."""
        await record_attempt(
            executor,
            message.message_id,
            message.channel,
            AttemptOutcome.SENT,
            "accepted",
            at,
            reference,
            provider=self._provider(message.channel),
        )

    async def _wait_turn(self, channel: Channel) -> None:
        bucket = self._throttles.get(channel)
        if bucket is None:
            return
        wait = await bucket.acquire(THROTTLE_MAX_WAIT)
        if wait:
            raise RetryLaterError(f"{channel} provider at its rate limit", timedelta(seconds=wait))

    def _compose(
        self, parcel: Parcel, channel: Channel, customer: Customer, now: datetime
    ) -> OutgoingMessage:
        """Raises UnfilledPlaceholderError when the copy asks for a value nobody has."""
        decision = parcel.decision
        content = parcel.copy.content if parcel.copy is not None else decision.content
        address = customer.address(channel)
        assert content is not None and address is not None
        return self._composer.compose(
            message_id=decision.message_id,
            idempotency_key=decision.idempotency_key,
            journey=decision.journey,
            step=decision.step,
            channel=channel,
            customer=customer,
            address=address,
            title=content.title,
            body=content.body,
            cta=content.cta,
            disclaimers=list(content.disclaimers),
            trigger_coupon_id=parcel.trigger_coupon_id,
            now=now,
        )


def _settled(
    decision: MessageDecision, reason: str, copy: StoredCopy | None, channel: Channel
) -> MessageDecision:
    """The decision as a delivery that went through left it (sent), without reading it back."""
    _log_settled(decision, channel, MessageStatus.SENT, reason)
    update: dict[str, object] = {"status": MessageStatus.SENT, "reason": reason, "channel": channel}
    if copy is not None:
        update |= copy.on_decision()
    return decision.model_copy(update=update)


def _unreachable(customer: Customer | None, channel: Channel) -> str | None:
    """Why the channel cannot carry the message now (it could when the message was decided:
    an unsubscribe or a changed profile came in between), or None."""
    if customer is None or customer.address(channel) is None:
        return "address_missing"
    if not customer.consent.get(channel, False) or channel in customer.unsubscribed_channels:
        return "no_consent"
    return None


async def _fail_over(
    session: AsyncSession,
    row: MessageRow,
    fallbacks: Sequence[Channel],
    reason: str,
    fresh_copy: bool,
) -> MessageDecision | None:
    """Move the row to the first fallback channel not refused yet; settle it failed if none.
    With `fresh_copy` the row's copy, written for the refused channel, is cleared: the copy for
    the new one goes on it before its call (a retry that finds none writes it, sending/path.py)."""
    attempts = await attempts_for_message(session, row.message_id)
    refused: set[str | None] = {a.channel for a in attempts if a.outcome == AttemptOutcome.FAILED}
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
    row.reason = FAILED_OVER
    if fresh_copy:
        for column in _COPY_COLUMNS:
            setattr(row, column, None)
    row.delivery_started_at = None
    row.updated_at = datetime.now(UTC)
    return None


_COPY_COLUMNS = (
    "title",
    "body",
    "cta",
    "disclaimers",
    "content_hash",
    "content_path",
    "content_notes",
)


async def _trigger_coupon(session: AsyncSession, row: MessageRow) -> str | None:
    """The coupon a coupon_issued trigger carried, for a delivery that does not know its
    decision's request (read only when the copy shows a code)."""
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
    _log_settled(row, row.channel, status, reason)
    return to_decision(row)


def _log_settled(
    message: MessageDecision | MessageRow, channel: str | None, status: MessageStatus, reason: str
) -> None:
    log.info(
        "message settled",
        workflow_id=message.workflow_id,
        customer_id=message.customer_id,
        message_id=message.message_id,
        channel=channel,
        status=status,
        reason=reason,
    )
