"""Alerts & switches: the alerts raised on the thresholds (open and recent, docs/alerts.md), the
kill switch of every journey kind and channel with a pause or resume button, and the outbound
webhooks' dead letters with a replay button (docs/webhooks.md). Viewing needs
`customers:read`; acting needs `ops`, and each change is written to the audit log under the
key's name, as `journeyctl switches` and the API's routes write it."""

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from temporalio.service import RPCError

from api.audit import Auditor
from api.console.forms import checked_form
from api.console.render import render
from api.console.session import PATH, ConsoleError, Session, current_session, require
from api.errors import ApiError
from api.routes.webhook_endpoints import nudge
from journeys.registry import JOURNEYS
from models.api_keys import Scope
from models.channels import Channel
from ops.switches import UnknownSwitch, checked_switch_id
from storage.alerts import list_alerts
from storage.switches import Switch, list_switches, set_switch, switch_id
from storage.webhooks import list_dead_letters, replay_dead_letter
from workflows.webhook_delivery import workflow_id

router = APIRouter(prefix=PATH, include_in_schema=False)
SessionDep = Annotated[Session, Depends(current_session)]
MAX_LISTED = 100
MAX_REASON = 200
MAX_SEQ = 2**31 - 1


@router.get("/alerts", response_class=HTMLResponse)
async def alerts_page(request: Request, session: SessionDep) -> HTMLResponse:
    require(session, Scope.CUSTOMERS_READ)
    async with request.app.state.sessions() as db:
        # Open ones on their own: a burst of cleared alerts must not push an open one off the page.
        open_alerts = await list_alerts(db, open_only=True, limit=MAX_LISTED)
        recent = await list_alerts(db, limit=MAX_LISTED)
        set_switches = {switch.switch_id: switch for switch in await list_switches(db)}
        letters = (await list_dead_letters(db))[:MAX_LISTED]
    # Every journey kind and channel gets a row, set or not: an operator pauses one never
    # touched before from here.
    switches: list[tuple[str, str, Switch | None]] = [
        (kind, name, set_switches.get(switch_id(kind, name)))
        for kind, names in (
            ("journey", [spec.kind for spec in JOURNEYS]),
            ("channel", [channel.value for channel in Channel]),
        )
        for name in names
    ]
    return render(
        "alerts.html",
        session,
        "alerts",
        open_alerts=open_alerts,
        cleared_alerts=[alert for alert in recent if alert.cleared_at is not None],
        switches=switches,
        letters=letters,
        can_act=Scope.OPS in session.principal.scopes,
        message=request.query_params.get("done", "")[:300],
    )


def _back(message: str) -> RedirectResponse:
    return RedirectResponse(f"{PATH}/alerts?done={quote(message)}", status_code=303)


@router.post("/alerts/switch")
async def change_switch(request: Request, session: SessionDep) -> RedirectResponse:
    principal = require(session, Scope.OPS)
    form = await checked_form(request, session)
    try:
        key = checked_switch_id(form.get("kind", ""), form.get("name", ""))
    except UnknownSwitch as err:
        raise ConsoleError(422, str(err), err.field) from err
    action = form.get("action", "")
    if action not in ("pause", "resume"):
        raise ConsoleError(422, "pause or resume", "action")
    reason = form.get("reason", "").strip()
    if len(reason) > MAX_REASON:
        raise ConsoleError(422, f"at most {MAX_REASON} characters", "reason")
    paused = action == "pause"
    switch = Switch(key, paused, reason, f"key:{principal.name}", datetime.now(UTC))
    sessions = request.app.state.sessions
    async with Auditor(sessions, principal)(f"switch.{action}", key) as audit:
        audit.detail = {"reason": reason, "via": "console"} if reason else {"via": "console"}
        async with sessions.begin() as db:
            await set_switch(db, switch)
    return _back(f"{'paused' if paused else 'resumed'} {key}")


@router.post("/alerts/replay")
async def replay(request: Request, session: SessionDep) -> RedirectResponse:
    principal = require(session, Scope.OPS)
    form = await checked_form(request, session)
    endpoint_id = form.get("endpoint_id", "")
    if not endpoint_id or len(endpoint_id) > 40:
        raise ConsoleError(422, "missing or too long", "endpoint_id")
    raw_seq = form.get("seq", "")
    if not raw_seq.isdigit() or not 1 <= int(raw_seq) <= MAX_SEQ:
        raise ConsoleError(422, f"a whole number from 1 to {MAX_SEQ}", "seq")
    seq = int(raw_seq)
    sessions = request.app.state.sessions
    async with Auditor(sessions, principal)("webhook.replay", f"{endpoint_id}/{seq}") as audit:
        audit.detail = {"via": "console"}
        async with sessions.begin() as db:
            if not await replay_dead_letter(db, endpoint_id, seq):
                raise ConsoleError(404, "no such dead letter", "seq")
    # The delivery workflow finds the letter at its next poll anyway; the signal only hurries it.
    try:
        client = await request.app.state.temporal.client()
        await nudge(client.get_workflow_handle(workflow_id(endpoint_id)))
    except (RPCError, ApiError):  # no connection, or the signal refused
        pass
    return _back(f"replay of event {seq} to {endpoint_id} asked")
