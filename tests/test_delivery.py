"""deliver_message on real Temporal (retries, Retry-After), real databases and loopback providers.

A small probe workflow runs the real activity with the journeys' retry policy, so each test
sees what a journey would: one delivery per message through 500s, 429s and timeouts, failover
to the next allowed channel on a refusal for good, and a burst held to the provider's rate.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import workflow
from temporalio.api.enums.v1 import EventType as HistoryEventType
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.sending import SendActivities
from channels.setup import build_channels
from content import InMemoryCopyCache
from journeys.runs import DeliverMessage
from models.channels import Channel
from models.customers import CustomerProfile
from models.events import Event, EventType
from models.messages import MessageDecision, MessageStatus
from models.tables import MessageRow
from sending.setup import build_send_path
from settings import Settings
from storage.customers import upsert_customer
from storage.database import create_engine, session_factory
from storage.delivery_attempts import attempts_for_message
from storage.events import store_event
from tests.conftest import make_settings, unique
from tests.fakes.providers import FakeProviders, running_providers
from tests.reports import seed
from workflows.sending import ACTIVITY_RETRY

PHONE = "+8613800000000"


@workflow.defn(name="DeliveryProbe")
class DeliveryProbe:
    @workflow.run
    async def run(self, request: DeliverMessage) -> MessageDecision:
        return await workflow.execute_activity_method(
            SendActivities.deliver_message,
            request,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=ACTIVITY_RETRY,
        )


@dataclass
class Rig:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    env: WorkflowEnvironment
    fake: FakeProviders

    async def customer(self, **profile: Any) -> str:
        customer_id = unique("c")
        async with self.sessions.begin() as session:
            await upsert_customer(
                session, customer_id, CustomerProfile(**profile), datetime.now(UTC)
            )
        return customer_id

    async def message(
        self, customer_id: str, channel: Channel, body: str = "", trigger_event_id: str = "evt-1"
    ) -> str:
        """A pending ledger row, as prepare_message leaves it."""
        row = seed.message(
            customer_id,
            datetime.now(UTC),
            step="stage_3",
            channel=channel,
            status=MessageStatus.PENDING,
            reason="eligible",
            trigger_event_id=trigger_event_id,
            title="Last chance for your cart",
            body=body or "Use code {{coupon_code}} before it expires.",
            cta="Use my code",
        )
        async with self.sessions.begin() as session:
            session.add(row)
        return row.message_id

    async def deliver(
        self, message_id: str, *fallbacks: Channel
    ) -> tuple[MessageDecision, WorkflowHandle[Any, MessageDecision]]:
        handle = await self.env.client.start_workflow(
            DeliveryProbe.run,
            DeliverMessage(message_id=message_id, fallback_channels=fallbacks),
            id=f"probe-{message_id}",
            task_queue=self.settings.task_queue,
        )
        return await handle.result(), handle

    async def attempts(self, message_id: str) -> list[tuple[str, str, str]]:
        async with self.sessions() as session:
            rows = await attempts_for_message(session, message_id)
        return [(a.channel, a.outcome, a.reason) for a in rows]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProviders]:
    with running_providers() as providers:
        yield providers


async def rig_for(
    env: WorkflowEnvironment,
    database_url: str,
    data_dir: Path,
    fake: FakeProviders,
    **channels: Any,
) -> AsyncIterator[Rig]:
    settings = make_settings(database_url, data_dir, channels=fake.channel_settings(**channels))
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    clients = build_channels(settings, sessions)
    delivery = SendActivities(
        build_send_path(settings, sessions, None, clients, InMemoryCopyCache())
    )
    async with Worker(
        env.client,
        task_queue=settings.task_queue,
        workflows=[DeliveryProbe],
        activities=[delivery.deliver_message],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        yield Rig(settings, sessions, env, fake)
    await engine.dispose()


@pytest.fixture
async def rig(
    temporal_env: WorkflowEnvironment, database_url: str, tmp_path: Path, fake: FakeProviders
) -> AsyncIterator[Rig]:
    async for built in rig_for(temporal_env, database_url, tmp_path, fake):
        yield built


def sent_to(fake: FakeProviders, channel: str, message_id: str) -> list[dict[str, Any]]:
    return [b for b in fake.deliveries(channel).values() if message_id in str(b)]


async def test_each_message_is_delivered_once_through_500_429_and_timeouts(rig: Rig) -> None:
    customer_id = await rig.customer(
        phone=PHONE,
        push_token="device-1",
        wechat_openid="openid-1",
        consent={"sms": True, "push": True, "wechat": True, "inapp": True},
    )
    channels = (Channel.SMS, Channel.PUSH, Channel.WECHAT, Channel.INAPP)
    ids = {channel: await rig.message(customer_id, channel) for channel in channels}
    for channel in channels:
        rig.fake.queue(channel, "500", "429", "timeout")

    results = await asyncio.gather(*(rig.deliver(ids[channel]) for channel in channels))

    for channel, (decision, handle) in zip(channels, results, strict=True):
        message_id = ids[channel]
        assert (decision.status, decision.channel, decision.reason) == (
            "sent",
            channel,
            "delivered",
        )
        assert len(sent_to(rig.fake, channel, message_id)) == 1
        calls = [c for c in rig.fake.calls(channel) if message_id in str(c.body)]
        assert len(calls) == 4
        assert await rig.attempts(message_id) == [
            (channel, "retry", "http_500"),
            (channel, "retry", "rate_limited"),
            (channel, "unknown", "interrupted"),
            (channel, "sent", "accepted"),
        ]
        # The call after the 429 waited for its Retry-After (1 s).
        assert calls[2].at - calls[1].at >= 0.95
        attempts = [
            event.activity_task_started_event_attributes.attempt
            async for event in handle.fetch_history_events()
            if event.event_type == HistoryEventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
        ]
        assert attempts == [4]  # Temporal retried the one activity
    sms = sent_to(rig.fake, "sms", ids[Channel.SMS])[0]
    assert sms["text"].startswith("Last chance for your cart Use code J")  # a unique code
    assert sms["text"].endswith("Reply STOP to opt out")


async def test_a_refusal_for_good_fails_over_to_the_next_allowed_channel(rig: Rig) -> None:
    customer_id = await rig.customer(
        phone=PHONE,
        push_token="device-1",
        email="ada@example.com",
        consent={"sms": True, "push": True, "inapp": True},
    )
    message_id = await rig.message(customer_id, Channel.SMS)
    rig.fake.queue("sms", "final")

    decision, _ = await rig.deliver(message_id, Channel.WECHAT, Channel.EMAIL, Channel.PUSH)

    assert (decision.status, decision.channel) == ("sent", "push")
    assert decision.reason == "delivered_after_failover"
    assert not sent_to(rig.fake, "sms", message_id)
    assert len(sent_to(rig.fake, "push", message_id)) == 1
    assert await rig.attempts(message_id) == [
        ("sms", "failed", "invalid_number"),
        ("wechat", "failed", "address_missing"),  # no openid: skipped without a call
        ("email", "failed", "no_consent"),  # consent withdrawn since the decision, say
        ("push", "sent", "accepted"),
    ]
    async with rig.sessions() as session:  # the ledger row names the channel that carried it
        row = await session.get(MessageRow, message_id)
    assert row is not None and row.channel == "push" and row.provider_ref


async def test_when_every_allowed_channel_refuses_the_message_fails_with_the_last_reason(
    rig: Rig,
) -> None:
    customer_id = await rig.customer(
        phone=PHONE, push_token="device-1", consent={"sms": True, "push": True}
    )
    message_id = await rig.message(customer_id, Channel.PUSH)
    rig.fake.queue("push", "final")
    rig.fake.queue("sms", "final")

    decision, _ = await rig.deliver(message_id, Channel.SMS)

    assert (decision.status, decision.channel, decision.reason) == (
        "failed",
        "sms",
        "invalid_number",
    )
    assert [a[:2] for a in await rig.attempts(message_id)] == [
        ("push", "failed"),
        ("sms", "failed"),
    ]


async def test_copy_with_a_value_nobody_has_is_never_sent(rig: Rig) -> None:
    customer_id = await rig.customer(phone=PHONE, consent={"sms": True})
    message_id = await rig.message(customer_id, Channel.SMS, body="Hi {{nickname}}!")
    decision, _ = await rig.deliver(message_id)
    assert (decision.status, decision.reason) == ("failed", "unfilled_placeholder")
    assert not [c for c in rig.fake.calls("sms") if message_id in str(c.body)]


async def test_personal_values_are_filled_at_delivery(rig: Rig) -> None:
    customer_id = await rig.customer(
        phone=PHONE, consent={"sms": True}, attributes={"first_name": "Ada"}
    )
    message_id = await rig.message(
        customer_id, Channel.SMS, body="Hi {{first_name}}, code {{ coupon_code }}."
    )
    await rig.deliver(message_id)
    text = sent_to(rig.fake, "sms", message_id)[0]["text"]
    assert text.startswith("Last chance for your cart Hi Ada, code J") and "{{" not in text


async def test_a_coupon_issued_trigger_shows_its_own_coupon_code(rig: Rig) -> None:
    customer_id = await rig.customer(phone=PHONE, consent={"sms": True})
    issued = Event(
        event_id=unique("evt"),
        customer_id=customer_id,
        type=EventType.COUPON_ISSUED,
        occurred_at=datetime.now(UTC),
        properties={"coupon_id": "SPRING10", "expires_at": "2030-01-01T00:00:00+00:00"},
    )
    await store_event(rig.sessions, issued, datetime.now(UTC))
    message_id = await rig.message(
        customer_id,
        Channel.SMS,
        body="Your code {{coupon_code}}.",
        trigger_event_id=issued.event_id,
    )
    await rig.deliver(message_id)
    assert "Your code SPRING10." in sent_to(rig.fake, "sms", message_id)[0]["text"]


async def test_a_burst_waits_for_the_providers_rate_instead_of_failing(
    temporal_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path, fake: FakeProviders
) -> None:
    async for rig in rig_for(temporal_env, sqlite_url, tmp_path, fake, rate_per_second=5):
        customer_id = await rig.customer(phone=PHONE, consent={"sms": True})
        ids = [await rig.message(customer_id, Channel.SMS) for _ in range(12)]
        started = time.monotonic()

        results = await asyncio.gather(*(rig.deliver(message_id) for message_id in ids))

        assert {decision.status for decision, _ in results} == {"sent"}
        times = sorted(
            c.at
            for c in rig.fake.calls("sms")
            if c.at >= started and any(i in str(c.body) for i in ids)
        )
        assert len(times) == 12
        # A token bucket of 5 per second lets at most 5 + 5·t through in any window of t seconds;
        # the times are taken at the receiving server, where a loaded machine can deliver a few
        # requests late and together, hence the slack of two.
        for i, first in enumerate(times):
            for j in range(i, len(times)):
                assert j - i + 1 <= 5 + 5 * (times[j] - first) + 2
        assert times[-1] - times[0] >= 1.2
