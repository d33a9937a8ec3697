"""A customer's behaviour as the scoring package reads it, loaded from the event store."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.behaviour import BehaviourEvent, OrderSummary
from models.events import EventType
from models.tables import EventRow

# Enough for RFM over a year; sessions and carts only look at the last days anyway.
LOOKBACK = timedelta(days=365)


async def behaviour(
    session: AsyncSession, customer_id: str, now: datetime
) -> tuple[list[BehaviourEvent], list[OrderSummary]]:
    rows = await session.scalars(
        select(EventRow)
        .where(EventRow.customer_id == customer_id, EventRow.occurred_at >= now - LOOKBACK)
        .order_by(EventRow.occurred_at)
    )
    events, orders = [], []
    for row in rows:
        events.append(
            BehaviourEvent(type=row.type, occurred_at=row.occurred_at, properties=row.properties)
        )
        if row.type == EventType.ORDER_PAID:
            amount = row.properties.get("total") or row.properties.get("amount") or 0
            orders.append(OrderSummary(paid_at=row.occurred_at, amount=float(amount)))
    return events, orders


async def cart_paid(session: AsyncSession, customer_id: str, cart_id: str) -> bool:
    """Whether an order for this cart has been paid (checked before any cart message goes out)."""
    rows = await session.scalars(
        select(EventRow.properties).where(
            EventRow.customer_id == customer_id, EventRow.type == EventType.ORDER_PAID
        )
    )
    return any(properties.get("cart_id") == cart_id for properties in rows)
