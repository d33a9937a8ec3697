"""May a customer enter a journey now? The journey's re-entry rule, applied and recorded."""

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from journeys.runs import EntryDecision, EntryRequest
from storage.journey_entries import add_entry, latest_entry_at, recorded_entry


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
            if await recorded_entry(session, request.run_id) is not None:
                return EntryDecision(allowed=True, reason="recorded")
            previous = await latest_entry_at(session, request.customer_id, request.journey)
            refusal = _refusal(request, previous)
            if refusal is not None:
                return refusal
            add_entry(
                session,
                run_id=request.run_id,
                customer_id=request.customer_id,
                journey=request.journey,
                workflow_id=request.workflow_id,
                trigger_event_id=request.trigger_event_id,
                entered_at=request.entered_at,
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
