"""The contact ledger: every message decision, unique on its idempotency key."""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Update, bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.messages import MessageContent, MessageDecision, MessageStatus
from models.tables import MessageRow, table
from storage.database import Executor, rowcount

# Writes go to the table, not the mapped class: the ORM's UPDATE would synchronise the session
# first, and these rows are not loaded in it.
MESSAGES = table(MessageRow)
COPY_COLUMNS = (
    "title",
    "body",
    "cta",
    "disclaimers",
    "content_hash",
    "content_path",
    "content_notes",
)


@dataclass(frozen=True)
class StoredCopy:
    """The copy of a message as the ledger keeps it: the words, their hash, which path wrote
    them (llm, llm_retry, template) and the check failures on the way."""

    content: MessageContent
    digest: str
    path: str
    notes: str

    def values(self) -> dict[str, Any]:
        return {
            "title": self.content.title,
            "body": self.content.body,
            "cta": self.content.cta,
            "disclaimers": self.content.disclaimers,
            "content_hash": self.digest,
            "content_path": self.path,
            "content_notes": self.notes[:400],
        }

    def on_decision(self) -> dict[str, Any]:
        """The decision's fields this copy sets (as to_decision reads them back from the row)."""
        return {
            "content": self.content,
            "content_path": self.path,
            "content_reasons": _reasons(self.notes[:400]),
        }


def message_id_for(idempotency_key: str) -> str:
    """A short id derived from the key, so every retry of a step names the same message."""
    return "m_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]


def ledger_row(decision: MessageDecision, importance: str = "normal") -> MessageRow:
    return MessageRow(**ledger_values(decision, importance))


def ledger_values(decision: MessageDecision, importance: str = "normal") -> dict[str, Any]:
    """The ledger row of a decision, column by column."""
    content = decision.content
    return {
        "message_id": decision.message_id,
        "idempotency_key": decision.idempotency_key,
        "customer_id": decision.customer_id,
        "journey": decision.journey,
        "workflow_id": decision.workflow_id,
        "step": decision.step,
        "trigger_event_id": decision.trigger_event_id,
        "channel": decision.channel,
        "status": decision.status,
        "reason": decision.reason,
        "rule": decision.rule,
        "rule_source": decision.rule_source,
        "blocked_by": decision.blocked_by,
        "deferred_until": decision.deferred_until,
        "segment": decision.segment,
        "experiment_id": decision.experiment_id,
        "arm_id": decision.arm_id,
        "fallback_channels": [c.value for c in decision.fallback_channels],
        "importance": importance,
        "benefit_id": decision.benefit_id,
        "title": content.title if content else None,
        "body": content.body if content else None,
        "cta": content.cta if content else None,
        "created_at": decision.created_at,
        "updated_at": decision.created_at,
    }


async def record_decision(
    executor: Executor, decision: MessageDecision, importance: str = "normal"
) -> None:
    """Insert the decision's ledger row (IntegrityError: its idempotency key is taken)."""
    await executor.execute(_INSERT, ledger_values(decision, importance))


async def contact_history(executor: Executor, customer_id: str, since: datetime) -> list[Row]:
    """The customer's decisions since `since`, and every complaint whatever its age (rows with
    the ledger's columns)."""
    return list(await executor.execute(_HISTORY, {"b_customer_id": customer_id, "b_since": since}))


async def set_content(
    sessions: async_sessionmaker[AsyncSession], message_id: str, copy: StoredCopy
) -> None:
    """Attach the copy to a decided message still to be delivered. One statement: `sessions`
    may commit each by itself (storage.database.autocommit)."""
    async with sessions.begin() as session:
        await session.execute(
            update(MESSAGES)
            .where(MESSAGES.c.message_id == message_id, MESSAGES.c.status == MessageStatus.PENDING)
            .values(**copy.values())
        )


async def start_delivery(
    sessions: async_sessionmaker[AsyncSession],
    message_id: str,
    channel: str,
    copy: StoredCopy | None,
    at: datetime,
) -> bool:
    """Mark a pending message as handed to its channel's provider (with its copy, if not stored
    yet), in one statement. False when it is no longer pending on that channel, or an earlier
    attempt started delivering it: the caller then reads the row and resumes from it."""
    values = {"delivery_started_at": at, "updated_at": at}
    async with sessions.begin() as session:
        result = await session.execute(*_unstarted(_START, message_id, channel, values, copy))
    return rowcount(result) == 1


async def settle_unstarted(
    executor: Executor,
    message_id: str,
    channel: str,
    copy: StoredCopy | None,
    reason: str,
    provider_ref: str,
    at: datetime,
) -> bool:
    """Settle a pending message that no attempt started as sent, with its copy, in the caller's
    transaction: for a channel whose provider is our own database (the dev outbox), written in
    the same transaction. False as for start_delivery."""
    values = {
        "status": MessageStatus.SENT,
        "reason": reason,
        "provider_ref": provider_ref,
        "delivery_started_at": at,
        "delivered_at": at,
        "updated_at": at,
    }
    result = await executor.execute(*_unstarted(_SETTLE, message_id, channel, values, copy))
    return rowcount(result) == 1


async def settle_delivered(
    session: AsyncSession, message_id: str, reason: str, provider_ref: str, at: datetime
) -> bool:
    """Record the provider's acceptance of a message whose delivery started; it is settled sent
    unless a receipt (a bounce) settled it meanwhile. False in that case."""
    settled = await session.execute(
        update(MESSAGES)
        .where(MESSAGES.c.message_id == message_id, MESSAGES.c.status == MessageStatus.PENDING)
        .values(
            status=MessageStatus.SENT,
            reason=reason,
            provider_ref=provider_ref,
            delivered_at=func.coalesce(MESSAGES.c.delivered_at, at),
            updated_at=at,
        )
    )
    if rowcount(settled) == 1:
        return True
    await session.execute(
        update(MESSAGES)
        .where(MESSAGES.c.message_id == message_id)
        .values(provider_ref=provider_ref, delivered_at=func.coalesce(MESSAGES.c.delivered_at, at))
    )
    return False


def _unstarted_update(columns: tuple[str, ...]) -> Update:
    """An UPDATE of a pending message on its channel that no attempt started, setting `columns`
    from parameters `b_<column>` (built once: a statement built per call costs more CPU than
    running it)."""
    return (
        update(MESSAGES)
        .where(
            MESSAGES.c.message_id == bindparam("b_message_id"),
            MESSAGES.c.status == MessageStatus.PENDING,
            MESSAGES.c.channel == bindparam("b_channel"),
            MESSAGES.c.delivery_started_at.is_(None),
        )
        .values({column: bindparam(f"b_{column}") for column in columns})
    )


def _unstarted(
    statements: tuple[Update, Update],
    message_id: str,
    channel: str,
    values: dict[str, Any],
    copy: StoredCopy | None,
) -> tuple[Update, dict[str, Any]]:
    """The statement (with or without the copy's columns) and its parameters."""
    if copy is not None:
        values = {**values, **copy.values()}
    parameters = {f"b_{column}": value for column, value in values.items()}
    statement = statements[1] if copy is not None else statements[0]
    return statement, {**parameters, "b_message_id": message_id, "b_channel": channel}


_START_COLUMNS = ("delivery_started_at", "updated_at")
_SETTLE_COLUMNS = (
    "status",
    "reason",
    "provider_ref",
    "delivery_started_at",
    "delivered_at",
    "updated_at",
)
_START = (_unstarted_update(_START_COLUMNS), _unstarted_update(_START_COLUMNS + COPY_COLUMNS))
_SETTLE = (_unstarted_update(_SETTLE_COLUMNS), _unstarted_update(_SETTLE_COLUMNS + COPY_COLUMNS))
_INSERT = insert(MESSAGES)
_HISTORY = (
    select(MESSAGES)
    .where(
        MESSAGES.c.customer_id == bindparam("b_customer_id"),
        or_(
            MESSAGES.c.created_at >= bindparam("b_since"),
            MESSAGES.c.complained_at.is_not(None),
        ),
    )
    .order_by(MESSAGES.c.created_at)
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


def to_decision(row: MessageRow | Row) -> MessageDecision:
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
        rule_source=row.rule_source,
        blocked_by=row.blocked_by,
        deferred_until=row.deferred_until,
        segment=row.segment,
        experiment_id=row.experiment_id,
        arm_id=row.arm_id,
        benefit_id=row.benefit_id,
        fallback_channels=row.fallback_channels or [],
        created_at=row.created_at,
        content=content,
        content_path=row.content_path,
        content_reasons=_reasons(row.content_notes or ""),
    )


def _reasons(notes: str) -> list[str]:
    return [reason for reason in notes.split(",") if reason]
