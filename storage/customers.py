"""Customer profiles."""

from datetime import datetime

from sqlalchemy import Row, bindparam, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.customers import Customer, CustomerProfile
from models.events import EventType
from models.tables import CustomerPreferenceRow, CustomerRow, EventRow, table
from storage.database import Executor
from storage.interests import interest_categories, interests_of
from storage.switches import paused_switches

CUSTOMERS = table(CustomerRow)
PREFERENCES = table(CustomerPreferenceRow)


async def upsert_customer(
    session: AsyncSession, customer_id: str, profile: CustomerProfile, now: datetime
) -> Customer:
    values = profile.model_dump(mode="json")
    row = await session.get(CustomerRow, customer_id, with_for_update=True)
    if row is None:
        row = CustomerRow(
            customer_id=customer_id,
            created_at=now,
            updated_at=now,
            unsubscribed_channels=[],
            blacklisted=False,
            decision_seq=0,
            **values,
        )
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
        # Consent given again in the profile lifts an earlier unsubscribe from that channel.
        given = {channel for channel, yes in values["consent"].items() if yes}
        row.unsubscribed_channels = [c for c in row.unsubscribed_channels if c not in given]
        row.updated_at = now
    await session.flush()
    return to_customer(row, await interest_categories(session, customer_id))


async def lock_customer(session: AsyncSession, customer_id: str) -> CustomerRow | None:
    """Take the customer's row lock for the rest of the transaction.

    An UPDATE, not SELECT ... FOR UPDATE, so that the same statement serialises on SQLite too:
    there it takes the database write lock, which concurrent writers wait for.
    """
    return await session.scalar(
        update(CustomerRow)
        .where(CustomerRow.customer_id == customer_id)
        .values(decision_seq=CustomerRow.decision_seq + 1)
        .returning(CustomerRow),
        execution_options={"populate_existing": True},
    )


async def lock_for_decision(
    executor: Executor, customer_id: str, cart_id: str | None, journey: str
) -> tuple[Row | None, bool]:
    """lock_customer for a send decision, in Core (a row, not a mapped object): the customer's
    row, their own contact preferences (`preferences`, None when they set none), the kill switches
    paused for `journey` and for channels (`paused`, storage/switches) and whether an
    order paid `cart_id`, in one statement (subqueries in RETURNING, on PostgreSQL and
    SQLite)."""
    keys = {"b_customer_id": customer_id, "b_journey": journey}
    if cart_id is None:
        found = (await executor.execute(_LOCK, keys)).one_or_none()
        return found, False
    found = (
        await executor.execute(_LOCK_CHECKING_CART, {**keys, "b_cart_id": cart_id})
    ).one_or_none()
    return found, found is not None and bool(found.cart_paid)


_LOCK = (
    update(CUSTOMERS)
    .where(CUSTOMERS.c.customer_id == bindparam("b_customer_id"))
    .values(decision_seq=CUSTOMERS.c.decision_seq + 1)
    .returning(
        *CUSTOMERS.c,
        interests_of(bindparam("b_customer_id")),
        select(PREFERENCES.c.preferences)
        .where(PREFERENCES.c.customer_id == bindparam("b_customer_id"))
        .scalar_subquery()
        .label("preferences"),
        paused_switches(bindparam("b_journey")),
    )
)
_LOCK_CHECKING_CART = _LOCK.returning(
    exists()
    .where(
        EventRow.customer_id == bindparam("b_customer_id"),
        EventRow.type == EventType.ORDER_PAID.value,
        EventRow.properties["cart_id"].as_string() == bindparam("b_cart_id"),
    )
    .label("cart_paid")
)


async def get_customer(session: AsyncSession, customer_id: str) -> Customer | None:
    """The stored profile with the interest categories chosen at signup, in one statement."""
    found = (
        await session.execute(
            select(CustomerRow, interests_of(customer_id)).where(
                CustomerRow.customer_id == customer_id
            )
        )
    ).one_or_none()
    return None if found is None else to_customer(found[0], found[1])


def to_customer(row: CustomerRow | Row, interests: list[str] | None = None) -> Customer:
    """The profile of a customer's row. The interest categories live in a table of their own:
    given, or read along with the row (a `Row` from lock_for_decision carries them)."""
    if interests is None:
        interests = getattr(row, "interest_categories", None)
    return Customer(
        customer_id=row.customer_id,
        timezone=row.timezone,
        locale=row.locale,
        email=row.email,
        phone=row.phone,
        push_token=row.push_token,
        wechat_openid=row.wechat_openid,
        consent=row.consent,
        attributes=row.attributes,
        unsubscribed_channels=row.unsubscribed_channels or [],
        blacklisted=bool(row.blacklisted),
        silence_until=row.silence_until,
        interest_categories=list(interests or []),
    )
