"""The customer's own contact preferences: quiet hours, a lower frequency than the business
caps, channels turned off (docs/preferences.md). Read with `customers:read`, replaced with
`customers:write`; every change is an audit record naming who made it."""

from typing import Annotated

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth import CUSTOMERS_READ, CUSTOMERS_WRITE, Principal
from api.deps import SessionsDep, utcnow
from api.errors import ApiError, error_responses
from models.events import Identifier
from models.preferences import CustomerPreferences
from storage.audit import audited
from storage.customers import get_customer
from storage.preferences import get_preferences, set_preferences

router = APIRouter(prefix="/v1/customers", tags=["customers"])


async def change_preferences(
    sessions: async_sessionmaker[AsyncSession],
    customer_id: str,
    preferences: CustomerPreferences,
    actor: str,
) -> bool:
    """Replace the customer's preferences, with an audit record of who set what; False: no
    such customer. The API and the preference centre both change them through here."""
    async with audited(sessions, actor, "customer.preferences", customer_id) as entry:
        entry.detail = {"preferences": preferences.model_dump(mode="json")}
        async with sessions.begin() as session:
            known = await set_preferences(session, customer_id, preferences, utcnow())
        if not known:
            entry.outcome = "unknown customer"
    return known


@router.get(
    "/{customer_id}/preferences",
    dependencies=[CUSTOMERS_READ],
    summary="The customer's own quiet hours, caps and channels turned off",
    responses=error_responses(404),
)
async def read_preferences(customer_id: Identifier, sessions: SessionsDep) -> CustomerPreferences:
    async with sessions() as session:
        if await get_customer(session, customer_id) is None:
            raise ApiError(404, "unknown customer", field="customer_id")
        return await get_preferences(session, customer_id)


@router.put(
    "/{customer_id}/preferences",
    summary="Replace the customer's own preferences; the stricter of these and the business "
    "rules applies to every send decided from now on",
    responses=error_responses(404, 422),
)
async def put_preferences(
    customer_id: Identifier,
    preferences: CustomerPreferences,
    sessions: SessionsDep,
    principal: Annotated[Principal, CUSTOMERS_WRITE],
) -> CustomerPreferences:
    if not await change_preferences(sessions, customer_id, preferences, f"key:{principal.name}"):
        raise ApiError(404, "unknown customer", field="customer_id")
    return preferences
