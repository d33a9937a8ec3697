from fastapi import APIRouter

from api.deps import SessionsDep, SettingsDep, utcnow
from api.errors import ApiError, error_responses
from channels.outbox import outbox_for_customer
from models.channels import Channel
from models.customers import Customer, CustomerProfile
from models.events import Identifier
from models.messages import MessageDecision
from profiles.identity import link_profile_identifiers
from storage.consent import set_consent
from storage.customers import get_customer, to_customer, upsert_customer
from storage.dev_secrets import identity_key
from storage.ledger import messages_for_customer

router = APIRouter(prefix="/v1/customers", tags=["customers"])


@router.put("/{customer_id}", summary="Create or replace a customer's profile and consent")
async def put_customer(
    customer_id: Identifier, profile: CustomerProfile, sessions: SessionsDep, settings: SettingsDep
) -> Customer:
    async with sessions.begin() as session:
        customer = await upsert_customer(session, customer_id, profile, utcnow())
        # Its contact details identify it: events that carry them resolve to it.
        key = identity_key(settings)
        await link_profile_identifiers(session, key, customer_id, profile, utcnow())
        return customer


@router.put(
    "/{customer_id}/consent",
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
        return to_customer(row)


@router.get("/{customer_id}", summary="A customer's stored profile", responses=error_responses(404))
async def read_customer(customer_id: Identifier, sessions: SessionsDep) -> Customer:
    async with sessions() as session:
        customer = await get_customer(session, customer_id)
    if customer is None:
        raise ApiError(404, "unknown customer", field="customer_id")
    return customer


@router.get(
    "/{customer_id}/messages",
    summary="Every message decision for the customer, newest first (the contact ledger)",
)
async def read_messages(customer_id: Identifier, sessions: SessionsDep) -> list[MessageDecision]:
    async with sessions() as session:
        return await messages_for_customer(session, customer_id)


@router.get("/{customer_id}/outbox", summary="What the dev outbox 'sent' to the customer")
async def read_outbox(customer_id: Identifier, sessions: SessionsDep) -> list[dict[str, str]]:
    async with sessions() as session:
        rows = await outbox_for_customer(session, customer_id)
    return [
        {
            "message_id": row.message_id,
            "channel": row.channel,
            "title": row.title,
            "body": row.body,
            "created_at": row.created_at.isoformat(),
        }
        for row in rows
    ]
