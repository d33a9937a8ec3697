"""Collect the events the rows already written have to tell into the webhooks' outbox.

One transaction under the outbox's lock (storage.webhooks.lock_events): the rows changed since
the last collection (less an overlap, for a row committed after its own timestamp) and the
journey runs closed since then (less the same overlap, for visibility's lag), their events in
the order they happened, each added once. Every endpoint's delivery pass collects first, so
there is no collector to keep alive; the lock keeps the passes of several endpoints from
numbering events out of order.
"""

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.webhooks import (
    WebhookEvent,
    add_events,
    delivered_receipts,
    journey_entries,
    last_collected,
    lock_events,
    mark_collected,
    message_rows,
    tag_changes,
)
from webhooks.completed import ClosedJourneys
from webhooks.events import (
    JOURNEY_COMPLETED,
    delivered_event,
    journey_completed,
    journey_started,
    message_events,
    tag_changed,
)

# A first collection (or one after a long stop) looks back at most this far.
MAX_LOOKBACK = timedelta(days=7)


async def collect_events(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    overlap: timedelta,
    closed: ClosedJourneys,
) -> int:
    """Add the new events to the outbox; returns how many were new.

    A run's ledger rows commit before the run can close, so the pass that sees a journey's end
    sees its messages too, and `journey.completed` (at the close) sorts after them. Visibility
    is read before the lock is taken (on SQLite the lock holds every writer): from the last
    collection read without it, which can only move later, so that window covers the locked
    one."""
    async with sessions() as session:
        ended = await closed(_since(await last_collected(session), now, overlap))
    async with sessions.begin() as session:
        since = _since(await lock_events(session), now, overlap)
        found: list[WebhookEvent] = []
        for row in await message_rows(session, since):
            found.extend(message_events(row))
        found.extend(delivered_event(row) for row in await delivered_receipts(session, since))
        found.extend(journey_started(row) for row in await journey_entries(session, since))
        found.extend(tag_changed(row) for row in await tag_changes(session, since))
        found.extend(journey_completed(run) for run in ended)
        added = await add_events(session, in_order(found))
        await mark_collected(session, now)
    return added


def _since(last: datetime | None, now: datetime, overlap: timedelta) -> datetime:
    return max(now - MAX_LOOKBACK, (last or now) - overlap)


def in_order(events: list[WebhookEvent]) -> list[WebhookEvent]:
    """In the order they happened, so each customer's events keep theirs; a journey's end after
    every event of its run, whatever the clocks say (the worker's stamp the ledger, Temporal's
    the close, and a run closes moments after its last send)."""
    latest: dict[str, datetime] = {}
    for event in events:
        run = event.data.get("workflow_id")
        if run is not None and event.type != JOURNEY_COMPLETED:
            latest[run] = max(latest.get(run, event.occurred_at), event.occurred_at)

    def key(event: WebhookEvent) -> tuple[datetime, int, str]:
        if event.type != JOURNEY_COMPLETED:
            return event.occurred_at, 0, event.event_id
        at = max(event.occurred_at, latest.get(event.data["workflow_id"], event.occurred_at))
        return at, 1, event.event_id

    return sorted(events, key=key)
