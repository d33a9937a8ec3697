"""Route one stored event to the journeys it starts, restarts, ends or informs.

A start carries the event in the run's input (or signals the run already there); an ending or
awaited event is signalled only to the customer's journeys that may be running
(storage/active_journeys.py), so an event that might end three journeys costs no Temporal call
for the ones that are not there.
"""

import asyncio
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
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
    return await start_journey(client, task_queue, journey, event)


async def start_journey(
    client: Client, task_queue: str, journey: JourneySpec, event: Event
) -> JourneyActionKind:
    """Start the journey with the event as its trigger, or signal the run already there: one
    run per customer and journey (the workflow id), the definition copied into its input.

    A start that fails when a run is there, then a signal, rather than signal-with-start: the
    SDK (temporalio 1.35) does not say whether a signal-with-start started a run (the server's
    `started` flag stays in a private field, and `first_execution_run_id` is set either way
    from Temporal Server 1.32 on), and update-with-start would make every event wait for a
    worker. A run that ends between the refused start and the signal is started again.
    """
    workflow_id = journey.workflow_id(event.customer_id)
    for _attempt in range(3):
        try:
            await client.start_workflow(
                journey.workflow_type,
                JourneyInput(spec=journey, customer_id=event.customer_id, trigger=event),
                id=workflow_id,
                task_queue=task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                # Well inside the grace before a lazily removed row could drop a run's claim.
                rpc_timeout=START_RPC_TIMEOUT,
                search_attributes=start_attributes(journey, event.customer_id),
            )
            return JourneyActionKind.STARTED
        except WorkflowAlreadyStartedError:
            pass
        if await signal_if_running(client, workflow_id, event) == JourneyActionKind.SIGNALLED:
            return JourneyActionKind.SIGNALLED
    raise RPCError(
        f"{workflow_id}: runs keep ending as they are signalled", RPCStatusCode.ABORTED, b""
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
