"""Seed ledger rows and events straight into the database: for report figures worked out by
hand, and for tests that start from a recorded message (delivery, receipts, the outbox).

The suite's databases are shared by every test of a session, so each report test puts its data
in a period of its own, long before any journey of another test ran (`period_start`), and uses
customer ids no one else has (`unique`).
"""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.messages import MessageStatus
from models.tables import EventRow, MessageRow

_PERIODS = iter(range(1, 10_000))


def period_start() -> datetime:
    """A fresh 90-day stretch of 1990s time: no other test's records can fall in it."""
    return datetime(1990, 1, 1, tzinfo=UTC) + timedelta(days=90 * next(_PERIODS))


def message(
    customer_id: str,
    created_at: datetime,
    journey: str = "cart_abandonment",
    step: str = "stage_1",
    channel: str | None = "email",
    status: MessageStatus = MessageStatus.SENT,
    reason: str = "ok",
    trigger_event_id: str | None = None,
    **columns: Any,
) -> MessageRow:
    key = f"{journey}:{customer_id}:{uuid.uuid4().hex}"
    return MessageRow(
        message_id="m_" + uuid.uuid4().hex[:24],
        idempotency_key=key,
        customer_id=customer_id,
        journey=journey,
        workflow_id=f"{journey}:{customer_id}",
        step=step,
        trigger_event_id=trigger_event_id or "e-" + uuid.uuid4().hex[:12],
        channel=channel,
        status=status,
        reason=reason,
        created_at=created_at,
        updated_at=created_at,
        **columns,
    )


def held_out(
    customer_id: str, created_at: datetime, experiment_id: str, **columns: Any
) -> MessageRow:
    """A holdout customer's would-be send, as the decision path records it."""
    return message(
        customer_id,
        created_at,
        status=MessageStatus.SUPPRESSED,
        reason="holdout",
        rule="experiment",
        experiment_id=experiment_id,
        arm_id="holdout",
        **columns,
    )


def event(
    customer_id: str,
    event_type: str,
    occurred_at: datetime,
    properties: dict[str, Any] | None = None,
    routing: dict[str, Any] | None = None,
) -> EventRow:
    return EventRow(
        event_id="e-" + uuid.uuid4().hex,
        customer_id=customer_id,
        type=event_type,
        occurred_at=occurred_at,
        received_at=occurred_at,
        properties=properties or {},
        routed_at=occurred_at if routing is not None else None,
        routing=routing,
    )


def order(customer_id: str, occurred_at: datetime, cart_id: str | None = None) -> EventRow:
    properties: dict[str, Any] = {"order_id": "o-" + uuid.uuid4().hex[:10]}
    if cart_id is not None:
        properties["cart_id"] = cart_id
    return event(customer_id, "order_paid", occurred_at, properties)


def cart_started(
    customer_id: str, occurred_at: datetime, cart_id: str, action: str = "started"
) -> EventRow:
    """A cart update as routed: `started` a cart-abandonment journey (or only `signalled` one)."""
    routing = {
        "journeys": [
            {
                "journey": "cart_abandonment",
                "workflow_id": f"cart_abandonment:{customer_id}",
                "action": action,
            }
        ]
    }
    return event(customer_id, "cart_updated", occurred_at, {"cart_id": cart_id}, routing)


async def seed(sessions: async_sessionmaker[AsyncSession], *rows: MessageRow | EventRow) -> None:
    async with sessions.begin() as session:
        session.add_all(rows)
