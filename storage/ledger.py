"""The contact ledger: every message decision, unique on its idempotency key."""

import hashlib
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.messages import MessageContent, MessageDecision, MessageStatus
from models.tables import MessageRow


def message_id_for(idempotency_key: str) -> str:
    """A short id derived from the key, so every retry of a step names the same message."""
    return "m_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]


def ledger_row(decision: MessageDecision, importance: str = "normal") -> MessageRow:
    content = decision.content
    return MessageRow(
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
        rule=decision.rule,
        deferred_until=decision.deferred_until,
        segment=decision.segment,
        experiment_id=decision.experiment_id,
        arm_id=decision.arm_id,
        fallback_channels=[c.value for c in decision.fallback_channels],
        importance=importance,
        benefit_id=decision.benefit_id,
        title=content.title if content else None,
        body=content.body if content else None,
        cta=content.cta if content else None,
        created_at=decision.created_at,
        updated_at=decision.created_at,
    )


async def contact_history(
    session: AsyncSession, customer_id: str, since: datetime
) -> list[MessageRow]:
    """The customer's decisions since `since`, and every complaint whatever its age."""
    rows = await session.scalars(
        select(MessageRow)
        .where(
            MessageRow.customer_id == customer_id,
            or_(MessageRow.created_at >= since, MessageRow.complained_at.is_not(None)),
        )
        .order_by(MessageRow.created_at)
    )
    return list(rows)


async def set_content(
    sessions: async_sessionmaker[AsyncSession],
    message_id: str,
    content: MessageContent,
    digest: str,
    path: str,
    notes: str,
) -> None:
    """Attach the copy to a decided message still to be delivered, with which path wrote it and
    why. One statement: `sessions` may commit each by itself (storage.database.autocommit)."""
    async with sessions.begin() as session:
        # On the table, not the mapped class: the ORM's UPDATE would synchronise the session first.
        messages = MessageRow.__table__
        await session.execute(
            update(messages)
            .where(messages.c.message_id == message_id, messages.c.status == MessageStatus.PENDING)
            .values(
                title=content.title,
                body=content.body,
                cta=content.cta,
                disclaimers=content.disclaimers,
                content_hash=digest,
                content_path=path,
                content_notes=notes[:400],
            )
        )


async def mark_engagement(
    session: AsyncSession, message_id: str, customer_id: str, kind: str, at: datetime
) -> MessageRow | None:
    """Record an open, click or complaint on a message (the first one counts)."""
    row = await session.get(MessageRow, message_id)
    if row is None or row.customer_id != customer_id:
        return None
    column = f"{kind}_at"
    if getattr(row, column) is None:
        setattr(row, column, at)
        if kind == "clicked" and row.opened_at is None:
            row.opened_at = at  # a click implies the message was opened
    return row


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
        content = MessageContent(
            title=row.title or "",
            body=row.body or "",
            cta=row.cta or "",
            disclaimers=row.disclaimers or [],
        )
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
        rule=row.rule,
        deferred_until=row.deferred_until,
        segment=row.segment,
        experiment_id=row.experiment_id,
        arm_id=row.arm_id,
        benefit_id=row.benefit_id,
        fallback_channels=row.fallback_channels or [],
        created_at=row.created_at,
        content=content,
        content_path=row.content_path,
        content_reasons=[reason for reason in (row.content_notes or "").split(",") if reason],
    )
