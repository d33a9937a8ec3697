"""Delivering a decided message exactly once."""

from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from channels.base import DeliveryError, OutgoingMessage, Sender
from models.channels import Channel
from models.journey_runs import DeliverMessage
from models.messages import MessageDecision, MessageStatus
from models.tables import MessageRow
from storage.customers import get_customer
from storage.ledger import to_decision

log = structlog.get_logger()


class DeliveryActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], senders: dict[Channel, Sender]
    ) -> None:
        self._sessions = sessions
        self._senders = senders

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
