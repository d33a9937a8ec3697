"""Data-subject requests for one customer: everything we hold about them (export), and
removing it (erase), copies included: the dev outbox's delivered texts, receipts, delivery
attempts, the ledger, events, journey entries, their own contact preferences. The copy cache
holds no customer's data (copy is cached by template and a context without personal data, with
placeholders left open), so there is nothing of theirs to purge there. Temporal's side is in
cli/customers.py."""

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.tables import (
    ActiveJourneyRow,
    Base,
    CustomerInterestRow,
    CustomerPreferenceRow,
    CustomerRow,
    DeliveryAttemptRow,
    EventRow,
    JourneyEntryRow,
    MessageRow,
    OutboxRow,
    ReceiptRow,
    WebhookEventRow,
)
from storage.customers import to_customer
from storage.database import rowcount

# Children before parents (foreign keys): the order erase deletes in.
_BY_MESSAGE = (OutboxRow, DeliveryAttemptRow, ReceiptRow)
# The webhooks' outbox too: its events name the customer (what was sent is the receiver's).
_BY_CUSTOMER = (
    MessageRow,
    EventRow,
    JourneyEntryRow,
    ActiveJourneyRow,
    CustomerInterestRow,
    CustomerPreferenceRow,
    WebhookEventRow,
)


def _plain(row: Base) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__mapper__.column_attrs}


async def export_customer(session: AsyncSession, customer_id: str) -> dict[str, Any] | None:
    """Everything stored about the customer, contact details decrypted; None if unknown."""
    customer = await session.get(CustomerRow, customer_id)
    if customer is None:
        return None
    messages = list(
        await session.scalars(
            select(MessageRow)
            .where(MessageRow.customer_id == customer_id)
            .order_by(MessageRow.created_at)
        )
    )
    ids = [message.message_id for message in messages]
    export: dict[str, Any] = {
        "profile": to_customer(customer).model_dump(mode="json"),
        "messages": [_plain(row) for row in messages],
    }
    for table in _BY_MESSAGE:
        rows = await session.scalars(select(table).where(table.message_id.in_(ids)))
        export[table.__tablename__] = [_plain(row) for row in rows]
    for by_customer in _BY_CUSTOMER[1:]:
        found = await session.scalars(
            select(by_customer).where(by_customer.customer_id == customer_id)
        )
        export[by_customer.__tablename__] = [_plain(row) for row in found]
    return export


async def erase_customer(
    sessions: async_sessionmaker[AsyncSession], customer_id: str
) -> dict[str, int]:
    """Delete everything stored about the customer in one transaction; rows deleted per table."""
    counts: dict[str, int] = {}
    async with sessions.begin() as session:
        ids = select(MessageRow.message_id).where(MessageRow.customer_id == customer_id)
        for table in _BY_MESSAGE:
            result = await session.execute(delete(table).where(table.message_id.in_(ids)))
            counts[table.__tablename__] = rowcount(result)
        for by_customer in (*_BY_CUSTOMER, CustomerRow):
            result = await session.execute(
                delete(by_customer).where(by_customer.customer_id == customer_id)
            )
            counts[by_customer.__tablename__] = rowcount(result)
    return counts
