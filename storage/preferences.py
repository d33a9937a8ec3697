"""The customer's own contact preferences (customer_preferences). The send decision reads them
with the customer's row, in the lock's statement (storage.customers.lock_for_decision)."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models.preferences import CustomerPreferences
from models.tables import CustomerPreferenceRow
from storage.customers import lock_customer


def to_preferences(stored: dict[str, Any] | None) -> CustomerPreferences:
    return CustomerPreferences() if stored is None else CustomerPreferences.model_validate(stored)


async def get_preferences(session: AsyncSession, customer_id: str) -> CustomerPreferences:
    row = await session.get(CustomerPreferenceRow, customer_id)
    return to_preferences(row.preferences if row is not None else None)


async def set_preferences(
    session: AsyncSession, customer_id: str, preferences: CustomerPreferences, now: datetime
) -> bool:
    """Store the customer's preferences whole, replacing earlier ones; False: no such customer.
    Under the customer's decision lock, so a decision sees either the old or the new ones."""
    if await lock_customer(session, customer_id) is None:
        return False
    stored = preferences.model_dump(mode="json")
    row = await session.get(CustomerPreferenceRow, customer_id)
    if row is None:
        session.add(
            CustomerPreferenceRow(customer_id=customer_id, preferences=stored, updated_at=now)
        )
    else:
        row.preferences, row.updated_at = stored, now
    await session.flush()
    return True
