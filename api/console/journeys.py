"""Journeys: the catalogue, each definition as a graph with how many runs are in flight at each
step (Temporal visibility: the JourneyKind and JourneyStep search attributes), the version the
code starts now and the versions the running journeys walk."""

import asyncio
from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from temporalio.client import Client
from temporalio.service import RPCError

from api.console.graph import BOX_HEIGHT, BOX_WIDTH, journey_graph
from api.console.render import render
from api.console.session import PATH, ConsoleError, Session, current_session, require
from journeys.registry import JOURNEYS, journey_by_kind
from journeys.runs import JourneyState
from journeys.spec import JourneySpec
from models.api_keys import Scope
from ops.queries import literal

router = APIRouter(prefix=PATH, include_in_schema=False)
SessionDep = Annotated[Session, Depends(current_session)]
# A running journey answers its `state` query with the version it walks; asked of this many.
VERSION_SAMPLE = 50


def running(kind: str) -> str:
    return f"JourneyKind = {literal(kind)} AND ExecutionStatus = 'Running'"


async def running_counts(client: Client) -> dict[str, int]:
    counts = await asyncio.gather(
        *(client.count_workflows(running(spec.kind)) for spec in JOURNEYS)
    )
    return {spec.kind: found.count for spec, found in zip(JOURNEYS, counts, strict=True)}


async def step_counts(client: Client, spec: JourneySpec) -> dict[str, int]:
    counts = await asyncio.gather(
        *(
            client.count_workflows(f"{running(spec.kind)} AND JourneyStep = {literal(step.id)}")
            for step in spec.steps
        )
    )
    return {step.id: found.count for step, found in zip(spec.steps, counts, strict=True)}


async def running_versions(client: Client, spec: JourneySpec) -> tuple[Counter[str], int]:
    """How many of the sampled running journeys walk each version ('?' when one does not
    answer: no worker polls, or its task fails), and how many were asked."""
    runs = [run async for run in client.list_workflows(running(spec.kind), limit=VERSION_SAMPLE)]

    async def version(workflow_id: str, run_id: str) -> str:
        handle = client.get_workflow_handle(workflow_id, run_id=run_id)
        try:
            state = await asyncio.wait_for(handle.query("state", result_type=JourneyState), 3)
        except (RPCError, TimeoutError):
            return "?"
        return f"v{state.version}" if state.version is not None else "?"

    found = await asyncio.gather(*(version(run.id, run.run_id) for run in runs))
    return Counter(found), len(runs)


async def _client(request: Request) -> Client:
    try:
        return await request.app.state.temporal.client()
    except Exception as err:  # the connection's own timeout or refusal
        raise ConsoleError(503, "Temporal is unavailable; retry later", "temporal") from err


@router.get("/journeys", response_class=HTMLResponse)
async def catalogue(request: Request, session: SessionDep) -> HTMLResponse:
    require(session, Scope.CUSTOMERS_READ)
    client = await _client(request)
    try:
        counts = await running_counts(client)
    except RPCError as err:
        raise ConsoleError(503, "Temporal is unavailable; retry later", "temporal") from err
    return render("journeys.html", session, "journeys", journeys=JOURNEYS, counts=counts)


@router.get("/journeys/{kind}", response_class=HTMLResponse)
async def journey(request: Request, kind: str, session: SessionDep) -> HTMLResponse:
    require(session, Scope.CUSTOMERS_READ)
    spec = journey_by_kind(kind)
    if spec is None:
        known = ", ".join(sorted(s.kind for s in JOURNEYS))
        raise ConsoleError(404, f"unknown journey (known: {known})", "kind")
    client = await _client(request)
    try:
        per_step, (versions, sampled) = await asyncio.gather(
            step_counts(client, spec), running_versions(client, spec)
        )
    except RPCError as err:
        raise ConsoleError(503, "Temporal is unavailable; retry later", "temporal") from err
    return render(
        "journey.html",
        session,
        "journeys",
        spec=spec,
        graph=journey_graph(spec, per_step),
        box_width=BOX_WIDTH,
        box_height=BOX_HEIGHT,
        versions=sorted(versions.items()),
        sampled=sampled,
        in_flight=sum(per_step.values()),
    )
