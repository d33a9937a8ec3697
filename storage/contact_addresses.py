"""Customers found by the address a provider names, and addresses a provider says are gone.

Inbound SMS replies name a phone number, WeChat's event pushes an openid: both are looked up by
exact value (indexed). Phones are compared in E.164 (`+8613800000000`), the form Twilio and
Tencent Cloud send to and call back with; a profile phone stored with a leading `+` or without
one is found either way. An address can belong to several profiles (one person known under two
ids): every one of them is returned.
"""

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.channels import Channel
from models.tables import CustomerRow

_ADDRESS_COLUMNS = {
    Channel.EMAIL: CustomerRow.email,
    Channel.SMS: CustomerRow.phone,
    Channel.PUSH: CustomerRow.push_token,
    Channel.WECHAT: CustomerRow.wechat_openid,
}


async def customers_with_phone(session: AsyncSession, phone: str) -> list[str]:
    digits = phone.strip().removeprefix("+")
    if not digits.isdigit():
        return []
    rows = await session.scalars(
        select(CustomerRow.customer_id).where(
            or_(CustomerRow.phone == f"+{digits}", CustomerRow.phone == digits)
        )
    )
    return sorted(rows)


async def customers_with_openid(session: AsyncSession, openid: str) -> list[str]:
    rows = await session.scalars(
        select(CustomerRow.customer_id).where(CustomerRow.wechat_openid == openid)
    )
    return sorted(rows)


async def forget_address(
    session: AsyncSession, customer_id: str, channel: Channel, address: str
) -> bool:
    """Clear the customer's address on `channel` if it is still `address` (the app may have
    registered a new push token since the send); True if it was cleared."""
    column = _ADDRESS_COLUMNS.get(channel)
    if column is None:
        return False
    result = await session.execute(
        update(CustomerRow)
        .where(CustomerRow.customer_id == customer_id, column == address)
        .values({column.key: None})
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
