"""The two activities behind every send: decide-and-record, then deliver exactly once."""

from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.templates import render
from channels.base import DeliveryError, OutgoingMessage, Sender
from channels.choice import reachable_channels
from models.channels import Channel
from models.journey_runs import DeliverMessage, PrepareMessage
from models.messages import MessageContent, MessageDecision, MessageStatus
from models.tables import MessageRow
from storage.customers import get_customer
from storage.ledger import get_message, message_id_for, record_decision, to_decision

log = structlog.get_logger()


class MessagingActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], senders: dict[Channel, Sender]
    ) -> None:
        self._sessions = sessions
        self._senders = senders

    @activity.defn
    async def prepare_message(self, request: PrepareMessage) -> MessageDecision:
        message_id = message_id_for(request.idempotency_key)
        async with self._sessions() as session:
            existing = await get_message(session, message_id)
            if existing is not None:
                return to_decision(existing)
            customer = await get_customer(session, request.customer_id)

        channel: Channel | None = None
        content: MessageContent | None = None
        if customer is None:
            status, reason = MessageStatus.SUPPRESSED, "unknown_customer"
        elif not (channels := reachable_channels(customer, request.step.channels)):
            status, reason = MessageStatus.SUPPRESSED, "no_reachable_channel"
        else:
            channel = channels[0]
            content = render(request.step.template, channel, customer.locale, request.trigger_event)
            status, reason = MessageStatus.PENDING, "eligible"
        decision = await record_decision(
            self._sessions,
            MessageDecision(
                message_id=message_id,
                idempotency_key=request.idempotency_key,
                customer_id=request.customer_id,
                journey=request.journey,
                workflow_id=request.workflow_id,
                step=request.step.id,
                trigger_event_id=request.trigger_event.event_id,
                channel=channel,
                status=status,
                reason=reason,
                created_at=request.decided_at,
                content=content,
            ),
        )
        log.info(
            "message decided",
            workflow_id=decision.workflow_id,
            customer_id=decision.customer_id,
            message_id=decision.message_id,
            step=decision.step,
            channel=decision.channel,
            status=decision.status,
            reason=decision.reason,
        )
        return decision

    @activity.defn
    async def deliver_message(self, request: DeliverMessage) -> MessageDecision:
        async with self._sessions.begin() as session:
            row = await session.get(MessageRow, request.message_id, with_for_update=True)
            if row is None:
                raise ApplicationError("no such message", type="UnknownMessage", non_retryable=True)
            if row.status != MessageStatus.PENDING:
                return to_decision(row)  # delivered (or settled) by an earlier attempt
            channel = Channel(row.channel)
            sender = self._senders[channel]
            customer = await get_customer(session, row.customer_id)
            address = customer.address(channel) if customer else None
            if address is None:
                return _settle(row, MessageStatus.FAILED, "address_missing")
            if row.delivery_started_at is not None and not sender.idempotent:
                # An earlier attempt died mid-send: it may have been delivered, so never resend.
                return _settle(row, MessageStatus.SENT, "delivery_unconfirmed")
            row.delivery_started_at = datetime.now(UTC)
            message = OutgoingMessage(
                message_id=row.message_id,
                idempotency_key=row.idempotency_key,
                customer_id=row.customer_id,
                channel=channel,
                address=address,
                locale=customer.locale if customer else "en",
                title=row.title or "",
                body=row.body or "",
                cta=row.cta or "",
            )

        try:
            provider_ref = await sender.send(message)
        except DeliveryError as err:
            async with self._sessions.begin() as session:
                row = await session.get(MessageRow, request.message_id, with_for_update=True)
                row.delivery_started_at = None
                if err.final:
                    return _settle(row, MessageStatus.FAILED, err.reason)
            raise ApplicationError(f"delivery failed: {err.reason}", type="DeliveryFailed") from err

        async with self._sessions.begin() as session:
            row = await session.get(MessageRow, request.message_id, with_for_update=True)
            row.provider_ref = provider_ref
            row.delivered_at = datetime.now(UTC)
            return _settle(row, MessageStatus.SENT, "delivered")


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
