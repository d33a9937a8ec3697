"""Journey entries, for re-entry rules."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.journey_runs import EntryDecision, EntryRequest
from models.tables import JourneyEntryRow


async def enter_journey(
    sessions: async_sessionmaker[AsyncSession], request: EntryRequest
) -> EntryDecision:
    """Apply the journey's re-entry rule and record the entry when it is allowed, in one
    transaction.

    Safe to repeat: the row is keyed by the run, and a run that finds its own row was let in.
    One run per customer and journey is active at a time (the workflow id), so two entries of the
    same journey never race.
    """
    previous = None
    try:
        async with sessions.begin() as session:
            own = await session.get(JourneyEntryRow, request.run_id)
            if own is not None:
                return EntryDecision(allowed=True, reason="recorded")
            previous = await session.scalar(
                select(func.max(JourneyEntryRow.entered_at)).where(
                    JourneyEntryRow.customer_id == request.customer_id,
                    JourneyEntryRow.journey == request.journey,
                )
            )
            refusal = _refusal(request, previous)
            if refusal is not None:
                return refusal
            session.add(
                JourneyEntryRow(
                    run_id=request.run_id,
                    customer_id=request.customer_id,
                    journey=request.journey,
                    workflow_id=request.workflow_id,
                    trigger_event_id=request.trigger_event_id,
                    entered_at=request.entered_at,
                )
            )
    except IntegrityError:
        pass  # an earlier attempt of this very check recorded it
    reason = "first_entry" if previous is None else "reentry_allowed"
    return EntryDecision(allowed=True, reason=reason, previous_entry_at=previous)


def _refusal(request: EntryRequest, previous: datetime | None) -> EntryDecision | None:
    if previous is None:
        return None
    if not request.reentry.allowed:
        return EntryDecision(allowed=False, reason="already_entered", previous_entry_at=previous)
    if request.entered_at - previous < request.reentry.after:
        return EntryDecision(allowed=False, reason="reentry_too_soon", previous_entry_at=previous)
    return None
