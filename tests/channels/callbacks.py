"""What the provider callback tests share: the API alone with a provider configured, a ledger
row as delivery leaves it (tests/test_webhooks.py), and a client with no bearer key."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from channels.settings import ChannelSettings
from models.channels import Channel
from models.tables import CustomerRow
from tests.conftest import Stack, make_settings, unique
from tests.journey_helpers import put_customer
from tests.test_webhooks import row as ledger
from tests.test_webhooks import sent_message as sent_on

__all__ = ["ledger"]  # re-exported for the callback tests

PUBLIC_BASE_URL = "https://journeys.shop.example"
EVERY_CHANNEL = {channel.value: True for channel in Channel}


@asynccontextmanager
async def api_with(
    env: WorkflowEnvironment, database_url: str, tmp_path: Path, channels: ChannelSettings
) -> AsyncIterator[Stack]:
    stack = Stack(make_settings(database_url, tmp_path, channels=channels), env.client)
    try:
        yield stack
    finally:
        await stack.close()


def bare(stack: Stack) -> httpx.AsyncClient:
    """A client without the API key, at the public address providers call."""
    return httpx.AsyncClient(transport=stack.http._transport, base_url=PUBLIC_BASE_URL)


async def customer(stack: Stack, **profile: Any) -> str:
    customer_id = unique("c")
    await put_customer(stack, customer_id, consent=EVERY_CHANNEL, **profile)
    return customer_id


async def sent_message(
    stack: Stack, customer_id: str, channel: Channel, provider_ref: str | None = None
) -> str:
    return await sent_on(stack, customer_id, provider_ref, channel.value)


async def profile(stack: Stack, customer_id: str) -> CustomerRow:
    async with stack.sessions() as session:
        found = await session.get(CustomerRow, customer_id)
    assert found is not None
    return found
