import asyncio
from datetime import datetime
from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Body
from pydantic import BaseModel, ValidationError
from temporalio.client import WorkflowExecutionDescription, WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from api.deps import SessionsDep, TemporalDep, utcnow
from api.errors import ApiError, field_errors
from models.events import Event, EventType
from models.journey_runs import JourneyState
from models.messages import MessageDecision
from models.search_attributes import CUSTOMER_ID, JOURNEY_KIND, JOURNEY_STEP
from storage.events import store_event
from storage.ledger import messages_for_workflow

router = APIRouter(prefix="/v1/journeys", tags=["journeys"])


class JourneyView(BaseModel):
    workflow_id: str
    run_id: str
    journey: str | None
    customer_id: str | None
    status: str
    step: str | None
    next_wake_at: datetime | None
    started_at: datetime | None
    closed_at: datetime | None
    messages: list[MessageDecision]


class SignalAccepted(BaseModel):
    workflow_id: str
    signal: EventType
    event_id: str


async def _describe(handle: WorkflowHandle[Any, Any]) -> WorkflowExecutionDescription:
    try:
        return await handle.describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise ApiError(404, "unknown journey", field="workflow_id") from err
        raise


def _status(status: WorkflowExecutionStatus | None) -> str:
    names = {WorkflowExecutionStatus.CANCELED: "cancelled"}
    return names.get(status, status.name.lower()) if status is not None else "unknown"


@router.get("/{workflow_id}", summary="A journey run: status, current step and its messages")
async def read_journey(
    workflow_id: str, temporal: TemporalDep, sessions: SessionsDep
) -> JourneyView:
    handle = temporal.get_workflow_handle(workflow_id)
    description = await _describe(handle)
    attributes = description.typed_search_attributes
    next_wake_at = None
    if description.status == WorkflowExecutionStatus.RUNNING:
        try:
            state = await asyncio.wait_for(handle.query("state", result_type=JourneyState), 5)
            next_wake_at = state.next_wake_at
        except (RPCError, TimeoutError):
            pass  # no worker to answer right now; the rest comes from Temporal and the ledger
    async with sessions() as session:
        messages = await messages_for_workflow(session, workflow_id)
    # The ledger holds every run under this id; keep the ones this run decided.
    started = description.start_time
    messages = [m for m in messages if started is None or m.created_at >= started]
    return JourneyView(
        workflow_id=workflow_id,
        run_id=description.run_id,
        journey=attributes.get(JOURNEY_KIND),
        customer_id=attributes.get(CUSTOMER_ID),
        status=_status(description.status),
        step=attributes.get(JOURNEY_STEP),
        next_wake_at=next_wake_at,
        started_at=started,
        closed_at=description.close_time,
        messages=messages,
    )


@router.post(
    "/{workflow_id}/signals/{name}",
    status_code=202,
    summary="Send an event to a running journey as a signal named after the event type",
)
async def signal_journey(
    workflow_id: str,
    name: str,
    temporal: TemporalDep,
    sessions: SessionsDep,
    properties: Annotated[dict[str, Any], Body(default_factory=dict)],
) -> SignalAccepted:
    try:
        event_type = EventType(name)
    except ValueError as err:
        known = ", ".join(t.value for t in EventType)
        raise ApiError(422, f"unknown signal; one of: {known}", field="name") from err
    handle = temporal.get_workflow_handle(workflow_id)
    description = await _describe(handle)
    if description.status != WorkflowExecutionStatus.RUNNING:
        raise ApiError(409, f"journey is {_status(description.status)}", field="workflow_id")
    customer_id = description.typed_search_attributes.get(CUSTOMER_ID) or ""
    try:
        event = Event(
            event_id=f"signal-{uuid4()}",
            customer_id=customer_id,
            type=event_type,
            occurred_at=utcnow(),
            properties=properties,
        )
        event.typed_properties()
    except ValidationError as err:
        detail = field_errors(list(err.errors()))[0]
        raise ApiError(422, detail["reason"], field=detail["field"]) from err
    await store_event(sessions, event, utcnow())
    await handle.signal(event_type.value, event)
    return SignalAccepted(workflow_id=workflow_id, signal=event_type, event_id=event.event_id)
