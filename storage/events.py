"""The event store: events are kept before they are routed, and routed at least once."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.events import Event, EventType
from models.tables import EventRow
from storage.ledger import mark_engagement

ENGAGEMENT = {EventType.MESSAGE_OPENED: "opened", EventType.MESSAGE_CLICKED: "clicked"}


async def store_event(
    sessions: async_sessionmaker[AsyncSession], event: Event, now: datetime
) -> tuple[EventRow, bool]:
    """Insert the event; returns the stored row and whether it was new (False: same `event_id`)."""
    row = EventRow(
        event_id=event.event_id,
        customer_id=event.customer_id,
        type=event.type.value,
        occurred_at=event.occurred_at,
        received_at=now,
        properties=event.properties,
        routed_at=None,
        routing=None,
    )
    try:
        async with sessions.begin() as session:
            session.add(row)
            if event.type in ENGAGEMENT:
                # The ledger learns of the open or click in the same transaction as the event.
                await mark_engagement(
                    session,
                    str(event.properties.get("message_id")),
                    event.customer_id,
                    ENGAGEMENT[event.type],
                    event.occurred_at,
                )
        return row, True
    except IntegrityError:
        # A concurrent insert of the same id blocks ours until it commits, so the row is there.
        async with sessions() as session:
            existing = await session.get(EventRow, event.event_id)
        assert existing is not None
        return existing, False


async def mark_routed(
    sessions: async_sessionmaker[AsyncSession],
    event_id: str,
    routing: dict[str, Any],
    now: datetime,
) -> None:
    async with sessions.begin() as session:
        row = await session.get(EventRow, event_id)
        if row is not None:
            row.routed_at = now
            row.routing = routing


async def events_for_customer(
    session: AsyncSession, customer_id: str, since: datetime | None = None
) -> list[EventRow]:
    query = select(EventRow).where(EventRow.customer_id == customer_id)
    if since is not None:
        query = query.where(EventRow.occurred_at >= since)
    return list((await session.scalars(query.order_by(EventRow.occurred_at))).all())
