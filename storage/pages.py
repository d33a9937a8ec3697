"""Keyset pages of a customer's messages and outbox, for the API's paginated lists: a page
starts after the last row of the one before, so rows written meanwhile neither repeat nor
shift what comes next."""

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.messages import MessageDecision
from models.tables import MessageRow, OutboxRow
from storage.ledger import to_decision


async def messages_page(
    session: AsyncSession,
    customer_id: str,
    limit: int,
    after: tuple[datetime, str] | None = None,
) -> list[MessageDecision]:
    """Newest first (created_at, then message id), after the (created_at, message id) given."""
    query = select(MessageRow).where(MessageRow.customer_id == customer_id)
    if after is not None:
        created_at, message_id = after
        query = query.where(
            or_(
                MessageRow.created_at < created_at,
                and_(MessageRow.created_at == created_at, MessageRow.message_id > message_id),
            )
        )
    rows = await session.scalars(
        query.order_by(MessageRow.created_at.desc(), MessageRow.message_id).limit(limit)
    )
    return [to_decision(row) for row in rows]


async def outbox_page(
    session: AsyncSession, customer_id: str, limit: int, after_id: int | None = None
) -> list[OutboxRow]:
    """In the order they were 'sent', after the outbox row id given."""
    query = select(OutboxRow).where(OutboxRow.customer_id == customer_id)
    if after_id is not None:
        query = query.where(OutboxRow.id > after_id)
    return list(await session.scalars(query.order_by(OutboxRow.id).limit(limit)))
