"""Who an incoming event is about: its identifiers resolved to one customer, and the journeys of
an anonymous customer merged into a known one moved over (docs/profile.md).

`POST /v1/events` calls `resolve_event` before storing the event. An event that names its
customer and carries no identity costs nothing here. The identifiers themselves go no further
than the identity graph's keyed hashes: the event stored and routed to journeys has none.

A merged customer's running journeys end (the journey's `end` update, reason `merged`) and start
again under the surviving id from the same trigger event (its clock from the merge; its entry
under the old id forgotten, so the re-entry rule lets it in once). The merge record lists them;
it is marked once they were moved, and a retry of the event moves what is left.
"""

from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError
from journeys.registry import journey_by_kind
from journeys.runs import EndJourney, JourneyState
from models.events import Event, EventType
from models.inputs import IncomingEvent
from models.tables import EventRow
from profiles.identity import resolve_identity
from routing import route_event
from settings import Settings
from storage.identity import forget_entry, journeys_moved, pending_journey_moves

log = structlog.get_logger()

# Made by the profile (segment entries), never posted.
PROFILE_EVENTS = frozenset({EventType.SEGMENT_ENTERED})


async def resolve_event(
    incoming: IncomingEvent,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    client: Client,
    now: datetime,
) -> Event:
    if incoming.type in PROFILE_EVENTS:
        raise ApiError(422, "segment_entered events are made by the profile", field="type")
    if incoming.identity is None:
        assert incoming.customer_id is not None  # the model requires one or the other
        return incoming.for_customer(incoming.customer_id)
    async with sessions.begin() as session:
        resolution = await resolve_identity(
            session,
            settings.keyring(),
            incoming.customer_id,
            incoming.identity.identifiers(),
            incoming.event_id,
            incoming.type.value,
            now,
        )
    if resolution.merged or resolution.refused:
        log.info(
            "identity resolved",
            event_id=incoming.event_id,
            customer_id=resolution.customer_id,
            merged=resolution.merged,
            refused=resolution.refused,
        )
    await move_journeys(sessions, client, settings.task_queue, resolution.customer_id, now)
    return incoming.for_customer(resolution.customer_id)


async def move_journeys(
    sessions: async_sessionmaker[AsyncSession],
    client: Client,
    task_queue: str,
    into_id: str,
    now: datetime,
) -> None:
    async with sessions() as session:
        merges = await pending_journey_moves(session, into_id)
    for merge in merges:
        for kind in merge.detail.get("journeys", []):
            journey = journey_by_kind(kind)
            if journey is None:
                continue
            workflow_id = journey.workflow_id(merge.merged_id)
            state = await _end(client, workflow_id)
            if state is None or state.anchor_event_id is None or state.entered_at is None:
                continue  # not running any more: nothing to move
            async with sessions.begin() as session:
                await forget_entry(session, workflow_id, state.entered_at)
                anchor = await session.get(EventRow, state.anchor_event_id)
            if anchor is not None:
                event = Event(
                    event_id=anchor.event_id,
                    customer_id=into_id,
                    type=EventType(anchor.type),
                    occurred_at=anchor.occurred_at,
                    properties=anchor.properties,
                )
                await route_event(client, sessions, task_queue, event)
        async with sessions.begin() as session:
            await journeys_moved(session, merge.id, now)


async def _end(client: Client, workflow_id: str) -> JourneyState | None:
    handle = client.get_workflow_handle(workflow_id, result_type=JourneyState)
    try:
        return await handle.execute_update(
            "end", EndJourney(reason="merged"), result_type=JourneyState
        )
    except WorkflowUpdateFailedError:
        return None  # already ending or over
    except RPCError as err:
        if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            return None
        raise
