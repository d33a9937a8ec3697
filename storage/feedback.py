"""Receipts from providers and tracked links, applied to the ledger exactly once.

One transaction per receipt: the receipt row (unique on `<provider>:<receipt id>`) and its effect
on the ledger commit together, so a replayed receipt changes nothing. The first open and the
first click of a message also become a journey event (message_opened / message_clicked) whose id
is derived from the receipt; the caller stores and routes it like any event, and a replay routes
it again only if it was never routed.

Effects: delivered → `delivered_at`; opened, clicked → the ledger's engagement columns;
complained → `complained_at` through storage.consent.record_complaint (silence, and blacklist at
the second, as the guardrails' FeedbackRules decide); bounced → the message failed (`bounced_at`,
reason `bounced`), so it no longer counts as a contact; unsubscribed → `unsubscribed_at`, and
storage.consent.unsubscribe from every channel at once, as the product asks of any unsubscribe.

A receipt acts only on a message its own provider carried (the provider is the channel's name;
our own tracked links, provider "tracking", name messages of any channel): one naming a message
of another channel is refused and kept in `refused_receipts`, and changes nothing.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.events import Event, EventType
from models.messages import MessageStatus
from models.receipts import Receipt, ReceiptType
from models.tables import MessageRow, ReceiptRow, RefusedReceiptRow
from storage.consent import FeedbackRules, record_complaint, unsubscribe
from storage.ledger import mark_engagement

_EVENT_TYPES = {
    ReceiptType.OPENED: EventType.MESSAGE_OPENED,
    ReceiptType.CLICKED: EventType.MESSAGE_CLICKED,
}


# Our own tracked links and open pixel (api/routes/tracking.py): they name the message they
# were made for, whatever channel carried it.
OWN_LINKS = "tracking"


class ReceiptOutcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    UNKNOWN_MESSAGE = "unknown_message"
    REFUSED = "refused"  # the message went by another provider


@dataclass(frozen=True)
class ReceiptResult:
    outcome: ReceiptOutcome
    message_id: str | None = None
    # The journey event this receipt became (also on a duplicate: it may not be routed yet).
    event: Event | None = None


async def record_receipt(
    sessions: async_sessionmaker[AsyncSession],
    provider: str,
    receipt: Receipt,
    now: datetime,
    rules: FeedbackRules,
) -> ReceiptResult:
    key = f"{provider}:{receipt.receipt_id}"
    try:
        async with sessions.begin() as session:
            stored = await _stored(session, key)
            if stored is not None:
                return _duplicate(stored)
            row = await _find_message(session, provider, receipt)
            if row is None:
                return ReceiptResult(ReceiptOutcome.UNKNOWN_MESSAGE)
            if not _carried_by(row, provider):
                session.add(
                    RefusedReceiptRow(
                        provider=provider,
                        receipt_id=receipt.receipt_id,
                        type=receipt.type,
                        message_id=row.message_id,
                        message_channel=row.channel,
                        received_at=now,
                    )
                )
                return ReceiptResult(ReceiptOutcome.REFUSED, row.message_id)
            event = await _apply(session, row, receipt, rules)
            session.add(
                ReceiptRow(
                    receipt_key=key,
                    provider=provider,
                    message_id=row.message_id,
                    customer_id=row.customer_id,
                    channel=row.channel,
                    type=receipt.type,
                    reason=receipt.reason[:64] if receipt.reason else None,
                    occurred_at=receipt.occurred_at,
                    received_at=now,
                    event_id=event.event_id if event else None,
                )
            )
            return ReceiptResult(ReceiptOutcome.APPLIED, row.message_id, event)
    except IntegrityError:
        # The same receipt arrived twice at once and the other copy committed first.
        async with sessions() as session:
            stored = await _stored(session, key)
        if stored is None:
            raise
        return _duplicate(stored)


async def _apply(
    session: AsyncSession, row: MessageRow, receipt: Receipt, rules: FeedbackRules
) -> Event | None:
    at = receipt.occurred_at
    match receipt.type:
        case ReceiptType.DELIVERED:
            row.delivered_at = row.delivered_at or at
        case ReceiptType.OPENED | ReceiptType.CLICKED:
            first = (
                row.opened_at if receipt.type == ReceiptType.OPENED else row.clicked_at
            ) is None
            await mark_engagement(session, row.message_id, row.customer_id, receipt.type.value, at)
            if first:
                return _event(row, receipt)
        case ReceiptType.COMPLAINED:
            await record_complaint(session, row, at, rules)
        case ReceiptType.BOUNCED:
            row.bounced_at = row.bounced_at or at
            if row.status in (MessageStatus.PENDING, MessageStatus.SENT):
                row.status, row.reason, row.updated_at = MessageStatus.FAILED, "bounced", at
        case ReceiptType.UNSUBSCRIBED:
            row.unsubscribed_at = row.unsubscribed_at or at
            await unsubscribe(session, row.customer_id, None, at, rules)
    return None


def _event(row: MessageRow, receipt: Receipt) -> Event:
    digest = hashlib.sha256(f"{row.message_id}:{receipt.type}".encode()).hexdigest()[:32]
    return Event(
        event_id=f"receipt-{digest}",
        customer_id=row.customer_id,
        type=_EVENT_TYPES[receipt.type],
        occurred_at=receipt.occurred_at,
        properties={"message_id": row.message_id},
    )


def _duplicate(stored: ReceiptRow) -> ReceiptResult:
    event = None
    if stored.event_id is not None:
        event = Event(
            event_id=stored.event_id,
            customer_id=stored.customer_id,
            type=_EVENT_TYPES[ReceiptType(stored.type)],
            occurred_at=stored.occurred_at,
            properties={"message_id": stored.message_id},
        )
    return ReceiptResult(ReceiptOutcome.DUPLICATE, stored.message_id, event)


async def _stored(session: AsyncSession, key: str) -> ReceiptRow | None:
    return await session.scalar(select(ReceiptRow).where(ReceiptRow.receipt_key == key))


async def _find_message(
    session: AsyncSession, provider: str, receipt: Receipt
) -> MessageRow | None:
    """The message a receipt names: by our message id, or by the provider's own reference among
    the messages that provider carried (two providers may use the same reference)."""
    if receipt.message_id is not None:
        return await session.get(MessageRow, receipt.message_id)
    query = select(MessageRow).where(MessageRow.provider_ref == receipt.provider_ref)
    if provider != OWN_LINKS:
        query = query.where(MessageRow.channel == provider)
    return await session.scalar(query.limit(1))


def _carried_by(row: MessageRow, provider: str) -> bool:
    return provider == OWN_LINKS or row.channel == provider


async def receipts_for_message(session: AsyncSession, message_id: str) -> list[ReceiptRow]:
    rows = await session.scalars(
        select(ReceiptRow).where(ReceiptRow.message_id == message_id).order_by(ReceiptRow.id)
    )
    return list(rows)
