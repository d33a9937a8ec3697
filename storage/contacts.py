"""Contact details: finding customers by them, forgetting one a provider says is gone, and
re-encrypting them after a key rotation.

They are stored encrypted (models.tables.EncryptedText), so SQL cannot compare them; email, phone
and WeChat openid are also stored as keyed hashes (HMAC under the lookup key) of their normalised
form, which is what a lookup compares. Provider callbacks name customers this way (an SMS STOP
reply its number, a WeChat unfollow its openid); an address can belong to several profiles (one
person known under two ids), and every one of them is returned.
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.attributes import flag_modified

from encryption import normalise_email, normalise_phone
from models.channels import Channel
from models.tables import CustomerRow, keyring_of

CONTACT_COLUMNS = ("email", "phone", "push_token", "wechat_openid")
_ADDRESS_COLUMNS = {
    Channel.EMAIL: "email",
    Channel.SMS: "phone",
    Channel.PUSH: "push_token",
    Channel.WECHAT: "wechat_openid",
}
REKEY_BATCH = 500


async def customers_with_email(session: AsyncSession, email: str) -> list[str]:
    """The ids of the customers whose email is `email` (case and spaces aside), oldest first."""
    digest = keyring_of(session.get_bind().dialect).lookup_hash(normalise_email(email))
    return await _ids(session, CustomerRow.email_hash == digest)


async def customers_with_phone(session: AsyncSession, phone: str) -> list[str]:
    """The ids of the customers whose phone is `phone` (formatting aside), oldest first.

    Providers call back in E.164 (`+8613800000000`); a profile may hold the number with or
    without its `+`, and is found either way."""
    digits = normalise_phone(phone).removeprefix("+")
    if not digits:
        return []
    keyring = keyring_of(session.get_bind().dialect)
    digests = [keyring.lookup_hash(f"+{digits}"), keyring.lookup_hash(digits)]
    return await _ids(session, CustomerRow.phone_hash.in_(digests))


async def customers_with_openid(session: AsyncSession, openid: str) -> list[str]:
    """The ids of the customers who follow the WeChat account as `openid`, oldest first."""
    digest = keyring_of(session.get_bind().dialect).lookup_hash(openid)
    return await _ids(session, CustomerRow.wechat_openid_hash == digest)


async def forget_address(
    session: AsyncSession, customer_id: str, channel: Channel, address: str
) -> bool:
    """Clear the customer's address on `channel` if it is still `address` (the app may have
    registered a new push token since the send); True if it was cleared."""
    column = _ADDRESS_COLUMNS.get(channel)
    row = await session.get(CustomerRow, customer_id, with_for_update=True)
    if column is None or row is None or getattr(row, column) != address:
        return False
    setattr(row, column, None)
    return True


async def _ids(session: AsyncSession, condition: object) -> list[str]:
    rows = await session.scalars(
        select(CustomerRow.customer_id)
        .where(condition)  # type: ignore[arg-type]  # callers pass a SQL condition; typed as object to keep them simple
        .order_by(CustomerRow.created_at, CustomerRow.customer_id)
    )
    return list(rows)


async def rekey_contacts(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Re-encrypt every customer's contact details under the active key and recompute the
    lookup hashes (after adding a key or changing the lookup key), a batch per transaction.
    Returns how many customers were rewritten; safe to run again."""
    done = 0
    after = ""
    while True:
        async with sessions.begin() as session:
            rows = list(
                await session.scalars(
                    select(CustomerRow)
                    .where(CustomerRow.customer_id > after)
                    .order_by(CustomerRow.customer_id)
                    .limit(REKEY_BATCH)
                )
            )
            for row in rows:
                for column in CONTACT_COLUMNS:
                    flag_modified(row, column)  # written again: sealed under the active key
        if not rows:
            return done
        done += len(rows)
        after = rows[-1].customer_id
