from datetime import timedelta

import structlog
from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError

from api.deps import SessionsDep, SettingsDep, TemporalDep, utcnow
from api.errors import ApiError
from api.identity import resolve_event
from api.temporal import temporal_unavailable
from models.events import Event, validate_properties
from models.inputs import IncomingEvent
from routing import JourneyAction, journeys_started_by, route_event
from storage.events import mark_routed, store_and_claim
from telemetry import metrics

router = APIRouter(prefix="/v1/events", tags=["events"])
log = structlog.get_logger()

# Events far from now are almost always a unit or clock bug in the sender.
MAX_AGE = timedelta(days=366)
MAX_SKEW = timedelta(hours=1)


def database_unavailable() -> ApiError:
    return ApiError(503, "database unavailable; retry later", headers={"Retry-After": "5"})


class EventAccepted(BaseModel):
    event_id: str
    duplicate: bool
    journeys: list[JourneyAction]


def _require_transportable(event: Event) -> None:
    """The event as the journey will read it: encoded for Temporal and decoded again, as the
    worker does. Nothing is stored for an event that would not come through (a retry with the
    same id can then succeed)."""
    converter = pydantic_data_converter.payload_converter
    try:
        converter.from_payload(converter.to_payload(event), Event)
    except Exception as err:  # noqa: BLE001 - whatever the converter raises, it is the input's
        raise ApiError(422, f"cannot be passed to a journey: {err}", "properties") from err


@router.post(
    "",
    status_code=202,
    summary="Accept a business event: stored first, then routed to journeys",
    responses={
        422: {"description": "a field is missing or invalid (field and reason given)"},
        503: {"description": "database or Temporal unavailable; retry with the same event_id"},
    },
)
async def post_event(
    incoming: IncomingEvent,
    request: Request,
    settings: SettingsDep,
    sessions: SessionsDep,
    temporal: TemporalDep,
) -> EventAccepted:
    # Everything about the event is checked before anything is written (identities included).
    provisional = incoming.for_customer(incoming.customer_id or "unresolved")
    if errors := validate_properties(provisional):
        raise ApiError(422, errors[0]["reason"], field=errors[0]["field"])
    _require_transportable(provisional)
    now = utcnow()
    if not now - MAX_AGE <= incoming.occurred_at <= now + MAX_SKEW:
        raise ApiError(422, "must be within the last year and not in the future", "occurred_at")
    try:
        # Who it is about (docs/profile.md): the identifiers stop here.
        event = await resolve_event(incoming, settings, sessions, temporal, now)
    except (SQLAlchemyError, OSError) as err:
        raise database_unavailable() from err
    except RPCError as err:
        raise temporal_unavailable() from err
    try:
        row, new, active = await store_and_claim(sessions, event, now, journeys_started_by(event))
    except (SQLAlchemyError, OSError) as err:
        raise database_unavailable() from err
    metrics.events_received.labels(event.type.value, str(not new).lower()).inc()
    if not new and row.routed_at is not None:
        log.info("duplicate event", event_id=event.event_id, customer_id=event.customer_id)
        return EventAccepted(event_id=event.event_id, duplicate=True, **(row.routing or {}))
    try:
        actions = await request.app.state.temporal.within_deadline(
            route_event(temporal, sessions, settings.task_queue, event, active)
        )
    except RPCError as err:
        # The event stays stored and unrouted: the sender's retry with the same id routes it.
        raise temporal_unavailable() from err
    routing = {"journeys": [action.model_dump(mode="json") for action in actions]}
    try:
        await mark_routed(sessions, event.event_id, routing, utcnow())
    except (SQLAlchemyError, OSError) as err:
        # Routed but not marked: the retry routes again, and journeys drop the repeated event.
        raise database_unavailable() from err
    log.info(
        "event routed",
        event_id=event.event_id,
        customer_id=event.customer_id,
        type=event.type,
        journeys=routing["journeys"],
    )
    return EventAccepted(event_id=event.event_id, duplicate=False, journeys=actions)
