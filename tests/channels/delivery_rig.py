"""The real delivery activity on real Temporal with the providers a test configures.

As tests/test_delivery.py does for the gateway protocols: a probe workflow runs
`deliver_message` with the journeys' retry policy, so a test sees what a journey would.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.sending import SendActivities
from channels.base import OutgoingMessage
from channels.settings import ChannelSettings
from channels.setup import build_channels
from content import InMemoryCopyCache
from journeys.runs import DeliverMessage
from models.channels import Channel
from models.customers import CustomerProfile
from models.messages import MessageDecision, MessageStatus
from models.tables import CustomerRow
from sending.setup import build_send_path
from storage.customers import upsert_customer
from storage.database import create_engine, session_factory
from tests.conftest import make_settings, unique
from tests.reports import seed
from tests.test_delivery import DeliveryProbe


def outgoing(channel: Channel, address: str, **fields: Any) -> OutgoingMessage:
    """A message as delivery composes it."""
    values: dict[str, Any] = {
        "message_id": "m_" + unique("x").replace("-", ""),
        "idempotency_key": unique("wf") + ":evt:stage_1",
        "customer_id": unique("c"),
        "channel": channel,
        "address": address,
        "locale": "en",
        "title": "Still thinking it over?",
        "body": "Your cart is saved.",
        "cta": "Back to my cart",
        "cta_url": "https://shop.example.com/cart",
    }
    return OutgoingMessage.model_validate(values | fields)


@dataclass
class DeliveryRig:
    sessions: async_sessionmaker[AsyncSession]
    env: WorkflowEnvironment
    task_queue: str

    async def customer(self, **profile: Any) -> str:
        customer_id = unique("c")
        async with self.sessions.begin() as session:
            await upsert_customer(
                session, customer_id, CustomerProfile(**profile), datetime.now(UTC)
            )
        return customer_id

    async def profile(self, customer_id: str) -> CustomerRow:
        async with self.sessions() as session:
            row = await session.get(CustomerRow, customer_id)
        assert row is not None
        return row

    async def message(self, customer_id: str, channel: Channel) -> str:
        """A pending ledger row, as prepare_message leaves it."""
        row = seed.message(
            customer_id,
            datetime.now(UTC),
            channel=channel,
            status=MessageStatus.PENDING,
            reason="eligible",
            trigger_event_id="evt-1",
            title="Still thinking it over?",
            body="Your cart is saved.",
            cta="Back to my cart",
        )
        async with self.sessions.begin() as session:
            session.add(row)
        return row.message_id

    async def deliver(self, message_id: str, *fallbacks: Channel) -> MessageDecision:
        return await self.env.client.execute_workflow(
            DeliveryProbe.run,
            DeliverMessage(message_id=message_id, fallback_channels=fallbacks),
            id=f"probe-{message_id}",
            task_queue=self.task_queue,
        )


@asynccontextmanager
async def delivery_rig(
    env: WorkflowEnvironment, database_url: str, data_dir: Path, channels: ChannelSettings
) -> AsyncIterator[DeliveryRig]:
    settings = make_settings(database_url, data_dir, channels=channels)
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    clients = build_channels(settings, sessions)
    delivery = SendActivities(
        build_send_path(settings, sessions, None, clients, InMemoryCopyCache())
    )
    try:
        async with Worker(
            env.client,
            task_queue=settings.task_queue,
            workflows=[DeliveryProbe],
            activities=[delivery.deliver_message],
            workflow_runner=UnsandboxedWorkflowRunner(),
        ):
            yield DeliveryRig(sessions, env, settings.task_queue)
    finally:
        await engine.dispose()
