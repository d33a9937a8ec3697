"""Route one stored event to the journeys it starts, restarts, ends or informs.

A start is signal-with-start; an ending or awaited event is signalled only to the customer's
journeys that may be running (storage/active_journeys.py), so an event that might end three
journeys costs no Temporal call for the ones that are not there.
"""

import asyncio
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

from journeys.registry import Action, Route, routes_for
from journeys.runs import JourneyInput
from journeys.spec import JourneySpec
from models.events import Event, EventType
from models.search_attributes import CUSTOMER_ID, JOURNEY_KIND
from storage.active_journeys import (
    START_RPC_TIMEOUT,
    ActiveJourneys,
    active_journeys,
    claim_starts,
    forget_ended,
)
from storage.ledger import get_message

FEEDBACK_EVENTS = (EventType.MESSAGE_OPENED, EventType.MESSAGE_CLICKED)


class JourneyActionKind(StrEnum):
    STARTED = "started"
    SIGNALLED = "signalled"
    IGNORED = "ignored"


class JourneyAction(BaseModel):
    journey: str
    workflow_id: str
    action: JourneyActionKind


def journeys_started_by(event: Event) -> list[str]:
    """The kinds of journey the event starts (or restarts): what routing will claim for it."""
    routes = routes_for(event.type, event.properties)
    return [route.journey.kind for route in routes if route.action == Action.START]


async def route_event(
    client: Client,
    sessions: async_sessionmaker[AsyncSession],
    task_queue: str,
    event: Event,
    active: ActiveJourneys | None = None,
) -> list[JourneyAction]:
    """Signal-with-start for triggers, plain signals otherwise; a journey not running is ignored.
    The journeys an event reaches are told at once, not one after the other.

    `active`: the customer's journeys that may run, read when the event was stored, with the
    event's starts already claimed (storage.events.store_and_claim); None for an event stored
    earlier and routed now, whose claim is made here.

    Safe to repeat: journeys drop an event id they have already seen.
    """
    routes = routes_for(event.type, event.properties)
    if active is None:
        async with sessions.begin() as session:
            starts = [route.journey.kind for route in routes if route.action == Action.START]
            await claim_starts(
                session, event.customer_id, starts, event.event_id, datetime.now(UTC)
            )
            active = await active_journeys(session, event.customer_id)
    kinds = await asyncio.gather(
        *(_deliver(client, sessions, task_queue, route, event, active) for route in routes)
    )
    actions = [
        JourneyAction(
            journey=route.journey.kind,
            workflow_id=route.journey.workflow_id(event.customer_id),
            action=kind,
        )
        for route, kind in zip(routes, kinds, strict=True)
    ]

    if event.type in FEEDBACK_EVENTS:
        async with sessions() as session:
            message = await get_message(session, str(event.properties.get("message_id")))
        if message is not None and message.customer_id == event.customer_id:
            kind = await signal_if_running(client, message.workflow_id, event)
            actions.append(
                JourneyAction(journey=message.journey, workflow_id=message.workflow_id, action=kind)
            )
    return actions


async def _deliver(
    client: Client,
    sessions: async_sessionmaker[AsyncSession],
    task_queue: str,
    route: Route,
    event: Event,
    active: ActiveJourneys,
) -> JourneyActionKind:
    """Start (or signal) the journey for a trigger; only signal it, if it may run, otherwise."""
    journey = route.journey
    workflow_id = journey.workflow_id(event.customer_id)
    if route.action != Action.START:
        if journey.kind not in active:
            return JourneyActionKind.IGNORED
        kind = await signal_if_running(client, workflow_id, event)
        if kind == JourneyActionKind.IGNORED:
            await forget_ended(
                sessions, event.customer_id, journey.kind, active[journey.kind], datetime.now(UTC)
            )
        return kind
    handle = await start_journey(client, task_queue, journey, event)
    return JourneyActionKind.STARTED if _started(handle) else JourneyActionKind.SIGNALLED


async def start_journey(
    client: Client, task_queue: str, journey: JourneySpec, event: Event
) -> WorkflowHandle[Any, Any]:
    """Signal-with-start: one run per customer and journey (the workflow id), the definition
    copied into its input."""
    return await client.start_workflow(
        journey.workflow_type,
        JourneyInput(spec=journey, customer_id=event.customer_id),
        id=journey.workflow_id(event.customer_id),
        task_queue=task_queue,
        start_signal=event.type.value,
        start_signal_args=[event],
        # Well inside the grace before a lazily removed row could drop a run's claim.
        rpc_timeout=START_RPC_TIMEOUT,
        search_attributes=start_attributes(journey, event.customer_id),
    )


def start_attributes(journey: JourneySpec, customer_id: str) -> TypedSearchAttributes:
    """The search attributes a journey starts with, for finding it by customer and kind."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(CUSTOMER_ID, customer_id),
            SearchAttributePair(JOURNEY_KIND, journey.kind),
        ]
    )


async def signal_if_running(client: Client, workflow_id: str, event: Event) -> JourneyActionKind:
    try:
        await client.get_workflow_handle(workflow_id).signal(event.type.value, event)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return JourneyActionKind.IGNORED
        raise
    return JourneyActionKind.SIGNALLED


def _started(handle: WorkflowHandle[Any, Any]) -> bool:
    """Whether signal-with-start started a new run rather than signalling the running one.

    The server says so in the response's `started` flag, which the SDK keeps on the handle but
    does not expose (checked against temporalio 1.35; the routing tests fail if that changes).
    """
    return bool(handle._start_workflow_response.started)  # type: ignore[union-attr]
