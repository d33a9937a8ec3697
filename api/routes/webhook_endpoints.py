"""Outbound webhook endpoints and their dead letters (docs/webhooks.md); `ops` scope, audited.

Registering an endpoint answers with its signing secret, once (it is kept encrypted), and
starts its delivery workflow; it receives the events that happen from then on.
"""

from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from api.audit import AuditorDep
from api.deps import SessionsDep, SettingsDep, TemporalDep, utcnow
from api.errors import ApiError, error_responses
from api.temporal import temporal_unavailable
from settings import Settings
from storage.webhooks import (
    DeadLetter,
    Endpoint,
    add_endpoint,
    delete_endpoint,
    get_endpoint,
    list_dead_letters,
    list_endpoints,
    max_seq,
    replay_dead_letter,
)
from webhooks.collect import collect_events
from webhooks.completed import closed_journeys
from webhooks.events import EVENT_TYPES
from webhooks.signing import new_secret
from webhooks.urls import url_problem
from workflows.webhook_delivery import WebhookDeliveryWorkflow, workflow_id

router = APIRouter(prefix="/v1/ops/webhooks", tags=["operations"])
EndpointId = Annotated[str, Path(pattern=r"^we_[0-9a-f]{20}$")]
Seq = Annotated[int, Path(ge=1, le=2**31 - 1, description="the dead letter's event number")]


class NewEndpoint(BaseModel):
    url: str = Field(max_length=2000, description="https (http only to loopback in development)")
    event_types: list[str] = Field(min_length=1, max_length=len(EVENT_TYPES))
    description: str = Field("", max_length=200)


class EndpointView(BaseModel):
    endpoint_id: str
    url: str
    event_types: list[str]
    description: str
    failing_since: datetime | None
    failures: int
    last_error: str | None
    created_at: datetime


class RegisteredEndpoint(EndpointView):
    secret: str = Field(description="the signing secret (whsec_...), shown this once")


def _view(endpoint: Endpoint) -> EndpointView:
    fields = {k: v for k, v in endpoint.__dict__.items() if k in EndpointView.model_fields}
    return EndpointView(**fields)


async def _start(temporal: Client, settings: Settings, endpoint_id: str) -> None:
    await temporal.start_workflow(
        WebhookDeliveryWorkflow.run,
        endpoint_id,
        id=workflow_id(endpoint_id),
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )


@router.post(
    "",
    status_code=201,
    summary="Register an endpoint for event types; answers with its signing secret, once",
    responses=error_responses(422, 503),
)
async def register_webhook(
    request: NewEndpoint,
    sessions: SessionsDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    audit: AuditorDep,
) -> RegisteredEndpoint:
    allow_http = settings.webhooks.allow_http_loopback and not settings.production
    if problem := url_problem(request.url, allow_http):
        raise ApiError(422, problem, field="url")
    unknown = sorted(set(request.event_types) - set(EVENT_TYPES))
    if unknown:
        raise ApiError(
            422,
            f"unknown event types {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}",
            field="event_types",
        )
    endpoint_id = f"we_{uuid4().hex[:20]}"
    async with audit("webhook.register", endpoint_id) as entry:
        entry.detail = {"url": request.url, "event_types": request.event_types}
        # What happened before it was registered is collected first and not sent to it.
        overlap = timedelta(minutes=settings.webhooks.overlap_minutes)
        try:
            await collect_events(sessions, utcnow(), overlap, closed_journeys(temporal))
        except RPCError as err:  # the journeys' ends are read from Temporal's visibility
            raise temporal_unavailable() from err
        async with sessions.begin() as session:
            endpoint = Endpoint(
                endpoint_id=endpoint_id,
                url=request.url,
                event_types=list(dict.fromkeys(request.event_types)),
                secret=new_secret(),
                description=request.description,
                cursor=await max_seq(session),
                failing_since=None,
                failures=0,
                last_error=None,
                created_at=utcnow(),
            )
            await add_endpoint(session, endpoint)
        try:
            await _start(temporal, settings, endpoint_id)
        except RPCError as err:
            raise temporal_unavailable() from err
    return RegisteredEndpoint(**_view(endpoint).model_dump(), secret=endpoint.secret)


@router.get("", summary="The registered endpoints (without their secrets)")
async def webhooks(sessions: SessionsDep) -> list[EndpointView]:
    async with sessions() as session:
        return [_view(endpoint) for endpoint in await list_endpoints(session)]


@router.delete(
    "/{endpoint_id}",
    status_code=204,
    summary="Delete an endpoint; its delivery workflow ends",
    responses=error_responses(404),
)
async def delete_webhook(
    endpoint_id: EndpointId, sessions: SessionsDep, temporal: TemporalDep, audit: AuditorDep
) -> Response:
    async with audit("webhook.delete", endpoint_id):
        async with sessions.begin() as session:
            if not await delete_endpoint(session, endpoint_id):
                raise ApiError(404, "no such endpoint", field="endpoint_id")
        await nudge(temporal.get_workflow_handle(workflow_id(endpoint_id)))
    return Response(status_code=204)


@router.get(
    "/{endpoint_id}/dead-letters",
    summary="Events the endpoint did not take within the retry period",
    responses=error_responses(404),
)
async def dead_letters(endpoint_id: EndpointId, sessions: SessionsDep) -> list[DeadLetter]:
    async with sessions() as session:
        if await get_endpoint(session, endpoint_id) is None:
            raise ApiError(404, "no such endpoint", field="endpoint_id")
        return await list_dead_letters(session, endpoint_id)


@router.post(
    "/{endpoint_id}/dead-letters/{seq}/replay",
    status_code=202,
    summary="Send a dead letter again (its delivery workflow sends it next)",
    responses=error_responses(404),
)
async def replay_webhook(
    endpoint_id: EndpointId,
    seq: Seq,
    sessions: SessionsDep,
    temporal: TemporalDep,
    audit: AuditorDep,
) -> dict[str, str]:
    async with audit("webhook.replay", f"{endpoint_id}/{seq}"):
        async with sessions.begin() as session:
            if not await replay_dead_letter(session, endpoint_id, seq):
                raise ApiError(404, "no such dead letter", field="seq")
        await nudge(temporal.get_workflow_handle(workflow_id(endpoint_id)))
    return {"state": "replay"}


async def nudge(handle: WorkflowHandle[Any, Any]) -> None:
    """Wake the workflow; if it cannot be reached it still finds the change at its next poll."""
    try:
        await handle.signal(WebhookDeliveryWorkflow.nudge)
    except RPCError:
        pass
