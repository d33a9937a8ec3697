"""Reads of our own records that the reports are computed from: ledger entries, events, orders.

Only the columns a report needs are read (never the copy), and customer filters go to the
database in chunks so a large period stays within the backends' bound-parameter limits.
"""

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.events import EventType
from models.messages import MessageStatus
from models.tables import EventRow, MessageRow
from reports.period import Period

HOLDOUT_REASON = "holdout"
_CHUNK = 500

_LEDGER_COLUMNS = (
    MessageRow.message_id,
    MessageRow.customer_id,
    MessageRow.journey,
    MessageRow.step,
    MessageRow.channel,
    MessageRow.status,
    MessageRow.reason,
    MessageRow.created_at,
    MessageRow.delivered_at,
    MessageRow.opened_at,
    MessageRow.clicked_at,
    MessageRow.complained_at,
    MessageRow.bounced_at,
    MessageRow.unsubscribed_at,
    MessageRow.benefit_id,
    MessageRow.experiment_id,
    MessageRow.arm_id,
)


@dataclass(frozen=True)
class LedgerEntry:
    """One ledger row as the reports see it."""

    message_id: str
    customer_id: str
    journey: str
    step: str
    channel: str | None
    status: str
    reason: str
    created_at: datetime
    delivered_at: datetime | None
    opened_at: datetime | None
    clicked_at: datetime | None
    complained_at: datetime | None
    bounced_at: datetime | None
    unsubscribed_at: datetime | None
    benefit_id: str | None
    experiment_id: str | None
    arm_id: str | None

    @property
    def sent(self) -> bool:
        """Handed to and accepted by the provider. A bounce later turns the row to `failed`
        (storage/feedback.py), yet the message was sent: it counts here and in the block rate."""
        return self.status == MessageStatus.SENT or self.bounced_at is not None

    @property
    def held_out(self) -> bool:
        """A would-be send of a holdout customer: passed every guardrail, delivered nowhere."""
        return self.status == MessageStatus.SUPPRESSED and self.reason == HOLDOUT_REASON

    @property
    def treated(self) -> bool:
        """Decided to be sent (whether or not delivery then worked): the treated side of a
        holdout comparison, as the held-out row is the other."""
        return not self.held_out and self.status in (
            MessageStatus.SENT,
            MessageStatus.PENDING,
            MessageStatus.FAILED,
        )


@dataclass(frozen=True)
class Order:
    customer_id: str
    occurred_at: datetime
    cart_id: str | None


class OrderBook:
    """Paid orders by customer in time order, to answer "did they pay within W after T"."""

    def __init__(self, orders: Iterable[Order]) -> None:
        by_customer: dict[str, list[Order]] = defaultdict(list)
        for order in orders:
            by_customer[order.customer_id].append(order)
        self._orders = {c: sorted(o, key=lambda x: x.occurred_at) for c, o in by_customer.items()}
        self._times = {c: [o.occurred_at for o in orders] for c, orders in self._orders.items()}

    def first_within(
        self, customer_id: str, start: datetime, window: timedelta, cart_id: str | None = None
    ) -> Order | None:
        """The first order paid in [start, start + window]; with `cart_id`, only an order of
        that cart or one that names no cart."""
        orders = self._orders.get(customer_id, [])
        index = bisect.bisect_left(self._times.get(customer_id, []), start)
        for order in orders[index:]:
            if order.occurred_at > start + window:
                return None
            if cart_id is None or order.cart_id in (None, cart_id):
                return order
        return None


async def ledger_entries(
    session: AsyncSession,
    period: Period | None = None,
    journey: str | None = None,
    experiment_id: str | None = None,
) -> list[LedgerEntry]:
    """Decisions made in `period` (all time when None), optionally of one journey or experiment."""
    query = select(*_LEDGER_COLUMNS).order_by(MessageRow.created_at, MessageRow.message_id)
    if period is not None:
        query = query.where(
            MessageRow.created_at >= period.since, MessageRow.created_at < period.until
        )
    if journey is not None:
        query = query.where(MessageRow.journey == journey)
    if experiment_id is not None:
        query = query.where(MessageRow.experiment_id == experiment_id)
    rows = await session.execute(query)
    # The query selects the dataclass's fields in its order.
    return [LedgerEntry(*row) for row in rows]  # type: ignore[call-arg]  # a Row's length is not static


@dataclass(frozen=True)
class StoredEvent:
    event_id: str
    customer_id: str
    occurred_at: datetime
    properties: dict[str, Any]
    routing: dict[str, Any] | None


async def events_in(
    session: AsyncSession, event_type: EventType, period: Period
) -> list[StoredEvent]:
    """Events of one type that occurred in `period`, oldest first."""
    rows = await session.execute(
        select(
            EventRow.event_id,
            EventRow.customer_id,
            EventRow.occurred_at,
            EventRow.properties,
            EventRow.routing,
        )
        .where(
            EventRow.type == event_type.value,
            EventRow.occurred_at >= period.since,
            EventRow.occurred_at < period.until,
        )
        .order_by(EventRow.occurred_at, EventRow.event_id)
    )
    return [StoredEvent(*row) for row in rows]


async def orders_of(
    session: AsyncSession, customer_ids: Iterable[str], since: datetime, until: datetime
) -> OrderBook:
    """The paid orders of these customers that occurred in [since, until]."""
    orders: list[Order] = []
    for chunk in _chunks(sorted(set(customer_ids))):
        rows = await session.execute(
            select(EventRow.customer_id, EventRow.occurred_at, EventRow.properties).where(
                EventRow.type == EventType.ORDER_PAID.value,
                EventRow.customer_id.in_(chunk),
                EventRow.occurred_at >= since,
                EventRow.occurred_at <= until,
            )
        )
        for customer_id, occurred_at, properties in rows:
            cart_id = (properties or {}).get("cart_id")
            orders.append(Order(customer_id, occurred_at, str(cart_id) if cart_id else None))
    return OrderBook(orders)


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
