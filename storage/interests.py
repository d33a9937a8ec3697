"""The interest categories customers chose at signup, kept per customer.

Written with the signup event (storage/events.py, in the event's own transaction); read by the
send decision with the customer's row (storage/customers.py: one statement, no read of its own)
and by anything else that wants them, the recommendations included: `interest_categories`.
"""

from datetime import datetime
from types import ModuleType

from sqlalchemy import ColumnElement, Label, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

from models.tables import CustomerInterestRow

INTERESTS = CustomerInterestRow.__table__


def _upsert(dialect: ModuleType) -> Insert:
    insert = dialect.insert(INTERESTS)
    # A signup that happened before the stored one (a late or repeated event) changes nothing.
    return insert.on_conflict_do_update(
        index_elements=["customer_id"],
        set_={
            "categories": insert.excluded.categories,
            "chosen_at": insert.excluded.chosen_at,
            "updated_at": insert.excluded.updated_at,
        },
        where=INTERESTS.c.chosen_at <= insert.excluded.chosen_at,
    )


_UPSERTS = {dialect.dialect.name: _upsert(dialect) for dialect in (postgresql, sqlite)}


async def record_interests(
    session: AsyncSession,
    customer_id: str,
    categories: list[str],
    chosen_at: datetime,
    now: datetime,
) -> None:
    """Keep the categories of a signup, in the caller's transaction, unless a later signup's
    are kept already. Repeats are dropped, the order kept."""
    dialect = session.get_bind().dialect.name
    values = {
        "customer_id": customer_id,
        "categories": list(dict.fromkeys(c.strip() for c in categories if c.strip())),
        "chosen_at": chosen_at,
        "updated_at": now,
    }
    await session.execute(_UPSERTS[dialect], values)


async def interest_categories(session: AsyncSession, customer_id: str) -> list[str]:
    """The categories the customer chose at signup, in their order; [] if none."""
    found = await session.scalar(
        select(INTERESTS.c.categories).where(INTERESTS.c.customer_id == customer_id)
    )
    return list(found or [])


def interests_of(customer_id: ColumnElement[str] | str) -> Label[list[str] | None]:
    """The customer's categories as a scalar subquery, to read along with another statement."""
    return (
        select(INTERESTS.c.categories)
        .where(INTERESTS.c.customer_id == customer_id)
        .scalar_subquery()
        .label("interest_categories")
    )
