import asyncio
from datetime import datetime
from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.service import RPCError, RPCStatusCode

from api.audit import AuditorDep
from api.auth import CUSTOMERS_READ
from api.deps import SessionsDep, TemporalDep, utcnow
from api.errors import ApiError, error_responses, field_errors
from journeys.runs import EndJourney, JourneyState
from models.events import Event, EventType, validate_properties
from models.limits import check_text
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
    outcome: str | None = Field(
        None, description="how the walk ended: completed, exited (an exit event) or not_eligible"
    )
    ended_reason: str | None = Field(None, description="why a not_eligible journey did not run")
    version: int | None = Field(None, description="of the definition this journey walks")
    segment: str | None = Field(None, description="intent segment the journey last branched on")
    holdout: bool | None = Field(None, description="in the journey's holdout: nothing delivered")
    runs: int | None = Field(None, description="workflow runs so far (continue-as-new)")


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


@router.get(
    "/{workflow_id}",
    dependencies=[CUSTOMERS_READ],
    summary="A journey run: status, current step and its messages",
    responses=error_responses(404),
)
async def read_journey(
    workflow_id: str, temporal: TemporalDep, sessions: SessionsDep
) -> JourneyView:
    handle = temporal.get_workflow_handle(workflow_id, result_type=JourneyState)
    description = await _describe(handle)
    attributes = description.typed_search_attributes
    state = await _journey_state(handle, description.status)
    async with sessions() as session:
        messages = await messages_for_workflow(session, workflow_id)
    # The ledger holds every journey under this id; keep the ones this one decided (its first
    # run's entry when known: a journey that continued as new spans several runs).
    since = (state.entered_at if state else None) or description.start_time
    messages = [m for m in messages if since is None or m.created_at >= since]
    return JourneyView(
        workflow_id=workflow_id,
        run_id=description.run_id,
        journey=attributes.get(JOURNEY_KIND),
        customer_id=attributes.get(CUSTOMER_ID),
        status=_status(description.status),
        step=attributes.get(JOURNEY_STEP),
        next_wake_at=state.next_wake_at if state else None,
        started_at=description.start_time,
        closed_at=description.close_time,
        messages=messages,
        outcome=state.status if state and state.status != "running" else None,
        ended_reason=state.ended_reason if state else None,
        version=state.version if state else None,
        segment=state.segment if state else None,
        holdout=state.holdout if state else None,
        runs=state.runs if state else None,
    )


async def _journey_state(
    handle: WorkflowHandle[Any, JourneyState], status: WorkflowExecutionStatus | None
) -> JourneyState | None:
    """The `state` query of a running journey, the result of a completed one; None when neither
    can be had right now (no worker to answer, or the run failed)."""
    try:
        if status == WorkflowExecutionStatus.RUNNING:
            return await asyncio.wait_for(handle.query("state", result_type=JourneyState), 5)
        if status == WorkflowExecutionStatus.COMPLETED:
            return await asyncio.wait_for(handle.result(), 5)
    except (RPCError, TimeoutError, WorkflowFailureError):
        pass  # the rest comes from Temporal and the ledger
    return None


@router.post(
    "/{workflow_id}/signals/{name}",
    status_code=202,
    summary="Send an event to a running journey as a signal named after the event type",
    responses=error_responses(404, 409),
)
async def signal_journey(
    workflow_id: str,
    name: str,
    temporal: TemporalDep,
    sessions: SessionsDep,
    properties: Annotated[dict[str, Any], Body(default_factory=dict)],
    audit: AuditorDep,
) -> SignalAccepted:
    async with audit(f"journey.signal.{name}"[:64], workflow_id):
        return await _signal(workflow_id, name, temporal, sessions, properties)


async def _signal(
    workflow_id: str,
    name: str,
    temporal: Client,
    sessions: async_sessionmaker[AsyncSession],
    properties: dict[str, Any],
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
    except ValidationError as err:
        detail = field_errors(err.errors())[0]
        raise ApiError(422, detail["reason"], field=detail["field"]) from err
    if errors := validate_properties(event):
        # The body is the event's properties: name the field within it.
        field = errors[0]["field"].removeprefix("properties").lstrip(".") or "body"
        raise ApiError(422, errors[0]["reason"], field=field)
    await store_event(sessions, event, utcnow())
    await handle.signal(event_type.value, event)
    return SignalAccepted(workflow_id=workflow_id, signal=event_type, event_id=event.event_id)


class EndAccepted(BaseModel):
    workflow_id: str
    reason: str


@router.post(
    "/{workflow_id}/end",
    status_code=202,
    summary="End a running journey before its next step (a send being decided finishes first)",
    responses=error_responses(404, 409),
)
async def end_journey(
    workflow_id: str, request: EndJourney, temporal: TemporalDep, audit: AuditorDep
) -> EndAccepted:
    try:
        check_text(request.reason)  # it goes into the journey's history as written
    except ValueError as err:
        raise ApiError(422, str(err), field="reason") from err
    async with audit("journey.end", workflow_id) as entry:
        entry.detail = {"reason": request.reason}
        return await _end(workflow_id, request, temporal)


async def _end(workflow_id: str, request: EndJourney, temporal: Client) -> EndAccepted:
    handle = temporal.get_workflow_handle(workflow_id)
    description = await _describe(handle)
    if description.status != WorkflowExecutionStatus.RUNNING:
        raise ApiError(409, f"journey is {_status(description.status)}", field="workflow_id")
    try:
        await handle.execute_update("end", request, result_type=JourneyState)
    except WorkflowUpdateFailedError as err:  # refused by the workflow's validator
        raise ApiError(409, str(err.cause or err), field="workflow_id") from err
    return EndAccepted(workflow_id=workflow_id, reason=request.reason)
