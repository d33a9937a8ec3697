"""Customers found by the address a callback names; an address forgotten only while it is the
one the provider refused."""

import uuid
from datetime import UTC, datetime

from models.channels import Channel
from models.customers import CustomerProfile
from models.tables import CustomerRow
from storage.contacts import customers_with_openid, customers_with_phone, forget_address
from storage.customers import upsert_customer
from storage.database import create_engine, session_factory
from tests.conftest import unique


async def test_lookups_and_forgetting_a_dead_push_token(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    number, openid = f"+86139{uuid.uuid4().int % 10**8:08d}", unique("o")
    ids = [unique("c") for _ in range(3)]
    profiles = [
        CustomerProfile(phone=number, push_token="old-token", wechat_openid=openid),
        CustomerProfile(phone=number.removeprefix("+")),
        CustomerProfile(phone="+8613900000000", push_token="old-token"),
    ]
    async with sessions.begin() as session:
        for customer_id, profile in zip(ids, profiles, strict=True):
            await upsert_customer(session, customer_id, profile, datetime.now(UTC))
    async with sessions.begin() as session:
        assert sorted(await customers_with_phone(session, number)) == sorted(ids[:2])
        assert await customers_with_phone(session, "not a number") == []
        assert await customers_with_openid(session, openid) == [ids[0]]
        # The app registered a new token after the send: the new one stays.
        (await session.get(CustomerRow, ids[2])).push_token = "new-token"
    async with sessions.begin() as session:
        assert await forget_address(session, ids[0], Channel.PUSH, "old-token")
        assert not await forget_address(session, ids[2], Channel.PUSH, "old-token")
    async with sessions() as session:
        assert (await session.get(CustomerRow, ids[0])).push_token is None
        assert (await session.get(CustomerRow, ids[2])).push_token == "new-token"
    await engine.dispose()
