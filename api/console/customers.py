"""Customer: find one by id, or by email or phone through the keyed hash the identity graph
keeps (the address itself is never stored nor logged), then the profile, the timeline of every
decision with its reason, the messages as the customer saw them and each run in the Web UI."""

import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from temporalio.service import RPCError

from api.console.forms import checked_form
from api.console.render import render
from api.console.session import PATH, ConsoleError, Session, current_session, require
from api.errors import ApiError
from api.routes.profile import read_profile
from channels.personalise import (
    UnfilledPlaceholderError,
    fill,
    message_coupon_code,
    personal_values,
)
from channels.setup import tracking_secret
from models.api_keys import Scope
from models.customers import Customer
from models.events import EventType, Identifier
from models.messages import MessageDecision
from models.profiles import IdentifierKind
from models.tables import EventRow, OutboxRow
from ops.timeline import customer_timeline
from settings import Settings
from storage.customers import get_customer
from storage.identity import find_by_identifier
from storage.ledger import messages_for_customer

router = APIRouter(prefix=PATH, include_in_schema=False)
SessionDep = Annotated[Session, Depends(current_session)]
_IDENTIFIER = TypeAdapter(Identifier)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()\-]{5,20}$")


def web_ui_link(settings: Settings, namespace: str, workflow_id: str, run_id: str | None) -> str:
    run = f"/{quote(run_id, safe='')}" if run_id else ""
    return (
        f"{settings.temporal_web_url.rstrip('/')}/namespaces/{quote(namespace, safe='')}"
        f"/workflows/{quote(workflow_id, safe='')}{run}/history"
    )


def _identifier(value: str, field: str) -> str:
    try:
        return _IDENTIFIER.validate_python(value)
    except ValidationError as err:
        raise ConsoleError(
            422, "letters, digits and . _ : @ - only, at most 128 characters", field
        ) from err


async def _find(request: Request, customer_id: str, contact: str) -> str | None:
    if customer_id:
        return _identifier(customer_id.strip(), "customer_id")
    contact = contact.strip()
    if _EMAIL.match(contact):
        kind = IdentifierKind.EMAIL
    elif _PHONE.match(contact):
        kind = IdentifierKind.PHONE
    else:
        raise ConsoleError(422, "neither an email address nor a phone number", "contact")
    keyring = request.app.state.settings.keyring()
    async with request.app.state.sessions() as session:
        row = await find_by_identifier(session, keyring, kind, contact)
    return row.customer_id if row is not None else None


@router.get("/customers", response_class=HTMLResponse)
async def search_form(session: SessionDep) -> HTMLResponse:
    require(session, Scope.CUSTOMERS_READ)
    return render("customers.html", session, "customers", not_found=False)


@router.post("/customers", response_class=HTMLResponse)
async def search(request: Request, session: SessionDep) -> Response:
    """A POST, so that an email address or phone number never sits in a URL (access logs,
    browser history); the page found has only the customer id in its address."""
    require(session, Scope.CUSTOMERS_READ)
    form = await checked_form(request, session)
    customer_id, contact = form.get("customer_id", ""), form.get("contact", "")
    if len(contact) > 320:
        raise ConsoleError(422, "at most 320 characters", "contact")
    if not customer_id.strip() and not contact.strip():
        raise ConsoleError(422, "give a customer id, or an email address or phone", "customer_id")
    found = await _find(request, customer_id, contact)
    if found is None:
        return render("customers.html", session, "customers", not_found=True, status=404)
    return RedirectResponse(f"{PATH}/customers/{quote(found, safe='')}", 303)


async def _outbox(request: Request, customer_id: str) -> dict[str, OutboxRow]:
    async with request.app.state.sessions() as session:
        rows = await session.scalars(select(OutboxRow).where(OutboxRow.customer_id == customer_id))
        return {row.message_id: row for row in rows}


def seen(
    message: MessageDecision,
    sent: OutboxRow | None,
    customer: Customer | None,
    coupon_secret: str,
    trigger_coupon: str | None,
) -> dict[str, str] | None:
    """The words as they went out: the outbox's copy when the dev outbox sent it, else the
    decided copy with its personal placeholders filled as delivery fills them (the same name
    and coupon code); the links are labelled, not minted, so that nobody unsubscribes the
    customer from the console."""
    if sent is not None:
        return {"title": sent.title, "body": sent.body, "cta": ""}
    if message.content is None:
        return None
    content = message.content
    words = {"title": content.title, "body": content.body, "cta": content.cta}
    if customer is None:
        return words
    values = personal_values(
        customer,
        coupon_code=trigger_coupon or message_coupon_code(coupon_secret, message.message_id),
        unsubscribe_url="[unsubscribe link]",
        cta_url="[link]",
    )
    try:
        return {name: fill(text, values) for name, text in words.items()}
    except UnfilledPlaceholderError:
        return words  # delivery failed it (unfilled_placeholder): shown as it was written


async def _trigger_coupons(request: Request, messages: list[MessageDecision]) -> dict[str, str]:
    """The codes coupon_issued triggers carried, by trigger event id (delivery shows them)."""
    ids = {m.trigger_event_id for m in messages}
    async with request.app.state.sessions() as session:
        rows = await session.scalars(
            select(EventRow).where(
                EventRow.event_id.in_(ids), EventRow.type == EventType.COUPON_ISSUED
            )
        )
        return {
            row.event_id: str(row.properties["coupon_id"])
            for row in rows
            if row.properties.get("coupon_id")
        }


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
async def customer(request: Request, customer_id: str, session: SessionDep) -> HTMLResponse:
    require(session, Scope.CUSTOMERS_READ)
    customer_id = _identifier(customer_id, "customer_id")
    sessions = request.app.state.sessions
    async with sessions() as db:
        stored = await get_customer(db, customer_id)
        messages = await messages_for_customer(db, customer_id)
    try:
        profile = await read_profile(customer_id, sessions)
    except ApiError:
        profile = None
    if stored is None and profile is None and not messages:
        raise ConsoleError(404, "unknown customer", "customer_id")
    try:
        client = await request.app.state.temporal.client()
        timeline = await customer_timeline(client, sessions, customer_id)
    except (RPCError, TimeoutError, ConnectionError) as err:
        raise ConsoleError(503, "Temporal is unavailable; retry later", "temporal") from err
    settings = request.app.state.settings
    outbox = await _outbox(request, customer_id)
    coupons = await _trigger_coupons(request, messages)
    secret = tracking_secret(settings).get_secret_value()
    runs: dict[tuple[str, str | None], str] = {}
    for entry in timeline.entries:
        if entry.workflow_id and entry.run_id:
            runs[(entry.workflow_id, entry.run_id)] = web_ui_link(
                settings, client.namespace, entry.workflow_id, entry.run_id
            )
    return render(
        "customer.html",
        session,
        "customers",
        customer_id=customer_id,
        stored=stored,
        profile=profile,
        timeline=timeline.entries,
        runs=runs,
        web_ui=lambda workflow_id, run_id=None: web_ui_link(
            settings, client.namespace, workflow_id, run_id
        ),
        messages=[
            (
                message,
                seen(
                    message,
                    outbox.get(message.message_id),
                    stored,
                    secret,
                    coupons.get(message.trigger_event_id),
                ),
            )
            for message in messages
        ],
    )
