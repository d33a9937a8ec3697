"""What the provider callback tests share: the API alone with a provider configured, a ledger
row as delivery leaves it, and a client with no bearer key (providers have none)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from channels.settings import ChannelSettings
from models.channels import Channel
from models.tables import CustomerRow, MessageRow
from tests.conftest import Stack, make_settings, unique
from tests.journey_helpers import put_customer
from tests.reports import seed

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
    """A ledger row as delivery leaves it: sent on `channel`, for a journey that is not running."""
    row = seed.message(
        customer_id,
        datetime.now(UTC),
        channel=channel.value,
        reason="delivered",
        trigger_event_id="evt-1",
        title="t",
        body="b",
        provider_ref=provider_ref,
    )
    async with stack.sessions.begin() as session:
        session.add(row)
    return row.message_id


async def ledger(stack: Stack, message_id: str) -> MessageRow:
    async with stack.sessions() as session:
        found = await session.get(MessageRow, message_id)
    assert found is not None
    return found


async def profile(stack: Stack, customer_id: str) -> CustomerRow:
    async with stack.sessions() as session:
        found = await session.get(CustomerRow, customer_id)
    assert found is not None
    return found
