"""The contact ledger: every message decision, unique on its idempotency key."""

import hashlib

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.messages import MessageContent, MessageDecision, MessageStatus
from models.tables import MessageRow


def message_id_for(idempotency_key: str) -> str:
    """A short id derived from the key, so every retry of a step names the same message."""
    return "m_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]


async def record_decision(
    sessions: async_sessionmaker[AsyncSession], decision: MessageDecision
) -> MessageDecision:
    """Insert the decision, or return the one already recorded under its idempotency key."""
    content = decision.content
    row = MessageRow(
        message_id=decision.message_id,
        idempotency_key=decision.idempotency_key,
        customer_id=decision.customer_id,
        journey=decision.journey,
        workflow_id=decision.workflow_id,
        step=decision.step,
        trigger_event_id=decision.trigger_event_id,
        channel=decision.channel,
        status=decision.status,
        reason=decision.reason,
        title=content.title if content else None,
        body=content.body if content else None,
        cta=content.cta if content else None,
        created_at=decision.created_at,
        updated_at=decision.created_at,
    )
    try:
        async with sessions.begin() as session:
            session.add(row)
        return decision
    except IntegrityError:
        async with sessions() as session:
            existing = await session.scalar(
                select(MessageRow).where(MessageRow.idempotency_key == decision.idempotency_key)
            )
        assert existing is not None
        return to_decision(existing)


async def get_message(session: AsyncSession, message_id: str) -> MessageRow | None:
    return await session.get(MessageRow, message_id)


async def messages_for_customer(session: AsyncSession, customer_id: str) -> list[MessageDecision]:
    rows = await session.scalars(
        select(MessageRow)
        .where(MessageRow.customer_id == customer_id)
        .order_by(MessageRow.created_at.desc(), MessageRow.message_id)
    )
    return [to_decision(row) for row in rows]


async def messages_for_workflow(session: AsyncSession, workflow_id: str) -> list[MessageDecision]:
    rows = await session.scalars(
        select(MessageRow)
        .where(MessageRow.workflow_id == workflow_id)
        .order_by(MessageRow.created_at, MessageRow.message_id)
    )
    return [to_decision(row) for row in rows]


def to_decision(row: MessageRow) -> MessageDecision:
    content = None
    if row.title is not None or row.body is not None:
        content = MessageContent(title=row.title or "", body=row.body or "", cta=row.cta or "")
    return MessageDecision(
        message_id=row.message_id,
        idempotency_key=row.idempotency_key,
        customer_id=row.customer_id,
        journey=row.journey,
        workflow_id=row.workflow_id,
        step=row.step,
        trigger_event_id=row.trigger_event_id,
        channel=row.channel,
        status=MessageStatus(row.status),
        reason=row.reason,
        created_at=row.created_at,
        content=content,
    )
