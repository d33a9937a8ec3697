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
from models.tables import MessageRow, ReceiptRow
from storage.consent import FeedbackRules, record_complaint, unsubscribe
from storage.ledger import mark_engagement

_EVENT_TYPES = {
    ReceiptType.OPENED: EventType.MESSAGE_OPENED,
    ReceiptType.CLICKED: EventType.MESSAGE_CLICKED,
}


class ReceiptOutcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    UNKNOWN_MESSAGE = "unknown_message"


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
            row = await _find_message(session, receipt)
            if row is None:
                return ReceiptResult(ReceiptOutcome.UNKNOWN_MESSAGE)
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


async def _find_message(session: AsyncSession, receipt: Receipt) -> MessageRow | None:
    if receipt.message_id is not None:
        return await session.get(MessageRow, receipt.message_id)
    return await session.scalar(
        select(MessageRow).where(MessageRow.provider_ref == receipt.provider_ref).limit(1)
    )


async def receipts_for_message(session: AsyncSession, message_id: str) -> list[ReceiptRow]:
    rows = await session.scalars(
        select(ReceiptRow).where(ReceiptRow.message_id == message_id).order_by(ReceiptRow.id)
    )
    return list(rows)
