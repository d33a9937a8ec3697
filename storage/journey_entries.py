"""Journey entries (for re-entry rules) and the spend rank behind "RFM top 20 %"."""

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.events import EventType
from models.tables import EventRow, JourneyEntryRow

SPEND_WINDOW = timedelta(days=365)
TOP_SHARE = 0.2


async def recorded_entry(session: AsyncSession, run_id: str) -> JourneyEntryRow | None:
    """The entry recorded under a workflow chain's first run, if any."""
    return await session.get(JourneyEntryRow, run_id)


async def latest_entry_at(session: AsyncSession, customer_id: str, journey: str) -> datetime | None:
    return await session.scalar(
        select(func.max(JourneyEntryRow.entered_at)).where(
            JourneyEntryRow.customer_id == customer_id, JourneyEntryRow.journey == journey
        )
    )


def add_entry(
    session: AsyncSession,
    *,
    run_id: str,
    customer_id: str,
    journey: str,
    workflow_id: str,
    trigger_event_id: str,
    entered_at: datetime,
) -> None:
    session.add(
        JourneyEntryRow(
            run_id=run_id,
            customer_id=customer_id,
            journey=journey,
            workflow_id=workflow_id,
            trigger_event_id=trigger_event_id,
            entered_at=entered_at,
        )
    )


async def in_top_spenders(session: AsyncSession, customer_id: str, now: datetime) -> bool:
    """Whether the customer is in the top 20 % of customers by paid orders over the last year
    (among customers with any): fewer than 20 % of them spent strictly more."""
    amount = func.coalesce(EventRow.properties["total"].as_float(), 0.0)
    spend = (
        select(EventRow.customer_id, func.sum(amount).label("spend"))
        .where(
            EventRow.type == EventType.ORDER_PAID.value,
            EventRow.occurred_at > now - SPEND_WINDOW,
            EventRow.occurred_at <= now,
        )
        .group_by(EventRow.customer_id)
        .subquery()
    )
    own = await session.scalar(select(spend.c.spend).where(spend.c.customer_id == customer_id))
    if own is None:
        return False
    buyers = await session.scalar(select(func.count()).select_from(spend))
    above = await session.scalar(select(func.count()).select_from(spend).where(spend.c.spend > own))
    return (above or 0) < TOP_SHARE * (buyers or 0)
