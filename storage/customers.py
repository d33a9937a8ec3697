"""Customer profiles."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models.customers import Customer, CustomerProfile
from models.tables import CustomerRow


async def upsert_customer(
    session: AsyncSession, customer_id: str, profile: CustomerProfile, now: datetime
) -> Customer:
    values = profile.model_dump(mode="json")
    row = await session.get(CustomerRow, customer_id, with_for_update=True)
    if row is None:
        row = CustomerRow(customer_id=customer_id, created_at=now, updated_at=now, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = now
    await session.flush()
    return to_customer(row)


async def get_customer(session: AsyncSession, customer_id: str) -> Customer | None:
    row = await session.get(CustomerRow, customer_id)
    return None if row is None else to_customer(row)


def to_customer(row: CustomerRow) -> Customer:
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
    )
