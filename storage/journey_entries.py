"""Journey entries, for re-entry rules."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.tables import JourneyEntryRow


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
