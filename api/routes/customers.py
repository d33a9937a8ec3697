from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from api.auth import CUSTOMERS_READ, CUSTOMERS_WRITE
from api.deps import SessionsDep, SettingsDep, utcnow
from api.errors import ApiError, error_responses
from api.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, decode_cursor, page
from models.channels import Channel
from models.customers import Customer
from models.events import Identifier
from models.inputs import ProfileInput
from models.messages import MessageDecision
from profiles.identity import link_profile_identifiers
from storage.consent import set_consent
from storage.customers import get_customer, to_customer, upsert_customer
from storage.interests import interest_categories
from storage.pages import messages_page, outbox_page

router = APIRouter(prefix="/v1/customers", tags=["customers"])


@router.put(
    "/{customer_id}",
    dependencies=[CUSTOMERS_WRITE],
    summary="Create or replace a customer's profile and consent",
)
async def put_customer(
    customer_id: Identifier, profile: ProfileInput, sessions: SessionsDep, settings: SettingsDep
) -> Customer:
    async with sessions.begin() as session:
        customer = await upsert_customer(session, customer_id, profile, utcnow())
        # Its contact details identify it: events that carry them resolve to it.
        await link_profile_identifiers(session, settings.keyring(), customer_id, profile, utcnow())
        return customer


@router.put(
    "/{customer_id}/consent",
    dependencies=[CUSTOMERS_WRITE],
    summary="Give or withdraw consent per channel; a withdrawal stops undelivered messages",
    responses=error_responses(404),
)
async def put_consent(
    customer_id: Identifier, consent: dict[Channel, bool], sessions: SessionsDep
) -> Customer:
    async with sessions.begin() as session:
        row = await set_consent(session, customer_id, consent, utcnow())
        if row is None:
            raise ApiError(404, "unknown customer", field="customer_id")
        return to_customer(row, await interest_categories(session, customer_id))


@router.get(
    "/{customer_id}",
    dependencies=[CUSTOMERS_READ],
    summary="A customer's stored profile",
    responses=error_responses(404),
)
async def read_customer(customer_id: Identifier, sessions: SessionsDep) -> Customer:
    async with sessions() as session:
        customer = await get_customer(session, customer_id)
    if customer is None:
        raise ApiError(404, "unknown customer", field="customer_id")
    return customer


@router.get(
    "/{customer_id}/messages",
    dependencies=[CUSTOMERS_READ],
    summary="The customer's message decisions, newest first (the contact ledger), a page at a time",
)
async def read_messages(
    customer_id: Identifier,
    sessions: SessionsDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[MessageDecision]:
    after = None
    if cursor is not None:
        position = decode_cursor(cursor, "at", "id")
        try:
            after = (datetime.fromisoformat(position["at"]), str(position["id"]))
        except (TypeError, ValueError) as err:
            raise ApiError(422, "not a cursor of this list", field="cursor") from err
    async with sessions() as session:
        rows = await messages_page(session, customer_id, limit + 1, after)
    return page(
        rows, limit, lambda last: {"at": last.created_at.isoformat(), "id": last.message_id}
    )


class OutboxEntry(BaseModel):
    message_id: str
    channel: str
    title: str
    body: str
    created_at: datetime


@router.get(
    "/{customer_id}/outbox",
    dependencies=[CUSTOMERS_READ],
    summary="What the dev outbox 'sent' to the customer, oldest first, a page at a time",
)
async def read_outbox(
    customer_id: Identifier,
    sessions: SessionsDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[OutboxEntry]:
    after = None
    if cursor is not None:
        after = decode_cursor(cursor, "id")["id"]
        if not isinstance(after, int):
            raise ApiError(422, "not a cursor of this list", field="cursor")
    async with sessions() as session:
        rows = await outbox_page(session, customer_id, limit + 1, after)
    entries = [
        OutboxEntry(
            message_id=row.message_id,
            channel=row.channel,
            title=row.title,
            body=row.body,
            created_at=row.created_at,
        )
        for row in rows
    ]
    ids = {row.message_id: row.id for row in rows}
    return page(entries, limit, lambda last: {"id": ids[last.message_id]})
