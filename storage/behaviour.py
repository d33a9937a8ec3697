"""A customer's behaviour as the scoring package reads it, loaded from the event store."""

from datetime import datetime, timedelta

from sqlalchemy import select

from models.behaviour import BehaviourEvent, OrderSummary
from models.events import EventType
from models.tables import EventRow
from storage.database import Executor

# Enough for RFM over a year; sessions and carts only look at the last days anyway.
LOOKBACK = timedelta(days=365)


async def behaviour(
    executor: Executor, customer_id: str, now: datetime
) -> tuple[list[BehaviourEvent], list[OrderSummary]]:
    rows = await executor.execute(
        select(EventRow.type, EventRow.occurred_at, EventRow.properties)
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
