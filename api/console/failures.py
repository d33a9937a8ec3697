"""Failures: journeys that failed or timed out, and wedged ones (running, every workflow task
failing), each with its error; buttons retry a failed run (ops/retry.py: reset to the last good
point, or restart) and reset or end a wedged one (ops/wedged.py), as `journeyctl ops
retry-failed` and `ops wedged` do. Viewing needs `customers:read`; acting needs `ops`, and each
action is written to the audit log under the key's name, with its outcome."""

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecution
from temporalio.service import RPCError, RPCStatusCode

from api.audit import Auditor
from api.console.forms import checked_form
from api.console.render import render
from api.console.session import PATH, ConsoleError, Session, current_session, require
from models.api_keys import Scope
from ops.retry import Action, carry_out, find_failed, plan_retry
from ops.wedged import WedgedRun, find_wedged
from ops.wedged import reset as reset_wedged
from ops.wedged import terminate as terminate_wedged
from storage.active_journeys import claim_restarts

router = APIRouter(prefix=PATH, include_in_schema=False)
SessionDep = Annotated[Session, Depends(current_session)]
MAX_LISTED = 100


async def closing_error(client: Client, execution: WorkflowExecution) -> str:
    """The failure the run ended with, decoded (with payload encryption on, the history holds
    only "Encoded failure"), or that it timed out."""
    handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
    events = list((await handle.fetch_history()).events)
    for event in reversed(events):
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
            return "timed out"
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
            failure = event.workflow_execution_failed_event_attributes.failure
            decoded = await client.data_converter.decode_failure(failure)
            return (str(decoded).splitlines() or ["failed"])[0][:300]
    return "unknown"


async def _client(request: Request) -> Client:
    try:
        return await request.app.state.temporal.client()
    except Exception as err:  # the connection's own timeout or refusal
        raise ConsoleError(503, "Temporal is unavailable; retry later", "temporal") from err


@router.get("/failures", response_class=HTMLResponse)
async def failures(
    request: Request,
    session: SessionDep,
    hours: Annotated[int, Query(ge=1, le=24 * 90)] = 24 * 7,
) -> HTMLResponse:
    require(session, Scope.CUSTOMERS_READ)
    client = await _client(request)
    since = datetime.now(UTC) - timedelta(hours=hours)
    try:
        failed = (await find_failed(client, None, since))[-MAX_LISTED:]
        errors = [await closing_error(client, run) for run in failed]
        wedged = await find_wedged(client, limit=MAX_LISTED)
    except RPCError as err:
        raise ConsoleError(503, "Temporal is unavailable; retry later", "temporal") from err
    return render(
        "failures.html",
        session,
        "failures",
        failed=list(zip(failed, errors, strict=True)),
        wedged=wedged,
        hours=hours,
        can_act=Scope.OPS in session.principal.scopes,
        message=request.query_params.get("done", "")[:300],
    )


def _run_ref(form: dict[str, str]) -> tuple[str, str]:
    workflow_id, run_id = form.get("workflow_id", ""), form.get("run_id", "")
    if not workflow_id or len(workflow_id) > 300:
        raise ConsoleError(422, "missing or too long", "workflow_id")
    if not run_id or len(run_id) > 64:
        raise ConsoleError(422, "missing or too long", "run_id")
    return workflow_id, run_id


async def _described(client: Client, workflow_id: str, run_id: str) -> WorkflowExecution:
    try:
        return await client.get_workflow_handle(workflow_id, run_id=run_id).describe()
    except RPCError as err:
        if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            raise ConsoleError(404, "no such run", "run_id") from err
        raise ConsoleError(503, "Temporal is unavailable; retry later", "temporal") from err


@router.post("/failures/retry", response_class=HTMLResponse)
async def retry(request: Request, session: SessionDep) -> HTMLResponse:
    principal = require(session, Scope.OPS)
    form = await checked_form(request, session)
    workflow_id, run_id = _run_ref(form)
    client = await _client(request)
    execution = await _described(client, workflow_id, run_id)
    plan = await plan_retry(client, execution)
    if plan.action == Action.SKIP:
        raise ConsoleError(409, plan.reason, "run_id")
    sessions = request.app.state.sessions
    # The journey comes back to life: the API must know it again before it does (as the CLI).
    await claim_restarts(sessions, [workflow_id], datetime.now(UTC))
    async with Auditor(sessions, principal)(f"journey.{plan.action}", workflow_id) as audit:
        result = await carry_out(client, plan)
        audit.outcome = "ok" if result.error is None else f"failed: {result.error}"
        audit.detail = {"reason": plan.reason, "new_run_id": result.new_run_id, "via": "console"}
    if result.error is not None:
        raise ConsoleError(409, f"{plan.action} failed: {result.error}", "run_id")
    return render(
        "action_done.html",
        session,
        "failures",
        what=f"{plan.action} of {workflow_id}",
        reason=plan.reason,
        new_run_id=result.new_run_id,
    )


async def _wedged_run(client: Client, workflow_id: str, run_id: str) -> WedgedRun:
    found = next(
        (
            run
            for run in await find_wedged(client, limit=MAX_LISTED)
            if run.workflow_id == workflow_id and run.run_id == run_id
        ),
        None,
    )
    if found is None:
        raise ConsoleError(409, "this run is not wedged (any more)", "run_id")
    return found


@router.post("/failures/wedged", response_class=HTMLResponse)
async def repair_wedged(request: Request, session: SessionDep) -> HTMLResponse:
    principal = require(session, Scope.OPS)
    form = await checked_form(request, session)
    workflow_id, run_id = _run_ref(form)
    action = form.get("action", "")
    if action not in ("reset", "terminate"):
        raise ConsoleError(422, "reset or terminate", "action")
    client = await _client(request)
    run = await _wedged_run(client, workflow_id, run_id)
    new_run_id = None
    async with Auditor(request.app.state.sessions, principal)(
        f"journey.wedged.{action}", workflow_id
    ) as audit:
        audit.detail = {"cause": run.cause, "via": "console"}
        try:
            if action == "terminate":
                await terminate_wedged(client, run, "ended from the console")
            else:
                drop = form.get("drop_signals") == "on"
                new_run_id = await reset_wedged(client, run, drop_signals=drop)
                audit.detail["new_run_id"] = new_run_id
        except (ValueError, RPCError) as err:
            audit.outcome = f"failed: {err}"
            raise ConsoleError(409, str(err), "run_id") from err
    return render(
        "action_done.html",
        session,
        "failures",
        what=f"{action} of {workflow_id}",
        reason=run.error,
        new_run_id=new_run_id,
    )
