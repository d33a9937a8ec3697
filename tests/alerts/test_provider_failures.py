"""The delivery-failure rate is the provider's, not the channel's: push is carried by the HTTP
gateway on one worker and by FCM on another (a provider changed in the settings, or a worker
not yet redeployed), both on loopback. The gateway refuses its pushes for good; the alert is
raised for the push gateway alone, with FCM carrying push cleanly beside it, and cleared when
the gateway delivers again."""

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from alerts.settings import AlertSettings
from channels.settings import ChannelSettings, FcmSettings, HttpProviderSettings
from storage.alerts import list_alerts
from storage.database import migrate
from tests.conftest import Stack, eventually, mail_settings, unique, worker_stack
from tests.console.test_console_pages import signed_in
from tests.fakes.fcm_api import FakeFcm
from tests.fakes.providers import API_KEY, FakeProviders
from tests.journey_helpers import midday_timezone, post_event, put_customer
from tests.smtp_server import SmtpSink
from workflows.alerts import AlertsWorkflow

ALERTS = AlertSettings(
    every_minutes=0.01,
    min_volume=2,
    delivery_failure_rate=0.5,
    complaint_rate=None,
    unsubscribe_rate=None,
    tag_sync_lag_seconds=None,  # no profile updater runs beside these workers
)


@pytest.fixture
def gateway() -> Iterator[FakeProviders]:
    fake = FakeProviders()
    yield fake
    fake.close()


@pytest.fixture
def fcm() -> Iterator[FakeFcm]:
    fake = FakeFcm()
    yield fake
    fake.close()


@pytest.fixture
async def two_pushers(
    temporal_env: WorkflowEnvironment,
    tmp_path: Path,
    smtp: SmtpSink,
    gateway: FakeProviders,
    fcm: FakeFcm,
) -> AsyncIterator[tuple[Stack, Stack]]:
    """Two workers on one database (the rates are over every attempt in it): push through the
    gateway on one, through FCM on the other; email over SMTP on both."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'providers.db'}"
    await migrate(url)
    through_gateway = ChannelSettings(
        push=HttpProviderSettings(
            base_url=gateway.base_url, api_key=SecretStr(API_KEY), timeout_seconds=2
        )
    )
    through_fcm = ChannelSettings(
        push=FcmSettings(
            provider="fcm",
            base_url=fcm.base_url,
            service_account_json=SecretStr(json.dumps(fcm.service_account())),
            timeout_seconds=2,
        )
    )
    (tmp_path / "gateway").mkdir()
    (tmp_path / "fcm").mkdir()
    first = mail_settings(url, tmp_path / "gateway", smtp, channels=through_gateway, alerts=ALERTS)
    second = mail_settings(url, tmp_path / "fcm", smtp, channels=through_fcm, alerts=ALERTS)
    async with worker_stack(temporal_env, first) as one, worker_stack(temporal_env, second) as two:
        yield one, two


async def welcome_push(stack: Stack) -> str:
    """A signup whose welcome goes out as a push (email the fallback); its message id."""
    customer_id = unique("c")
    await put_customer(
        stack,
        customer_id,
        email=f"{customer_id}@example.com",
        push_token=f"token-{customer_id}",
        consent={"push": True, "email": True},
        timezone=midday_timezone(),
    )
    await post_event(stack, customer_id, "signup", {})

    async def sent() -> str | None:
        rows = (await stack.http.get(f"/v1/customers/{customer_id}/messages")).json()["items"]
        return next((row["message_id"] for row in rows if row["status"] == "sent"), None)

    message_id = await eventually(sent, timeout=60)
    assert message_id is not None
    return message_id


async def alerts(stack: Stack) -> list[Any]:
    async with stack.sessions() as session:
        return [a for a in await list_alerts(session) if a.threshold == "delivery_failure_rate"]


async def test_a_failing_provider_is_alerted_alone_and_cleared_when_it_delivers_again(
    two_pushers: tuple[Stack, Stack],
    temporal_env: WorkflowEnvironment,
    gateway: FakeProviders,
    fcm: FakeFcm,
) -> None:
    on_gateway, on_fcm = two_pushers
    with temporal_env.with_time_skipping_disabled():
        handle = await on_gateway.client.start_workflow(
            AlertsWorkflow.run,
            0.5,
            id=f"alerts-{on_gateway.settings.task_queue}",
            task_queue=on_gateway.settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        try:
            # FCM takes two pushes; the gateway refuses two for good (they fail over to email).
            for _ in range(2):
                await welcome_push(on_fcm)
            assert len(fcm.sent) == 2
            gateway.queue("push", "final", "final")
            for _ in range(2):
                await welcome_push(on_gateway)
            assert [c.channel for c in gateway.calls()] == ["push", "push"]

            raised = await eventually(lambda: alerts(on_gateway))
            assert [(a.threshold, a.scope, a.value, a.cleared_at) for a in raised] == [
                ("delivery_failure_rate", {"channel": "push", "provider": "gateway"}, 1.0, None)
            ]
            page = await on_gateway.http.get("/v1/ops/alerts", params={"open_only": True})
            assert [a["scope"] for a in page.json()] == [{"channel": "push", "provider": "gateway"}]
            client, _csrf = await signed_in(on_gateway)
            async with aclosing(client):
                console = await client.get("/console/alerts")
            opened = console.text.split("Recently cleared")[0]
            assert "channel=push provider=gateway" in opened
            assert "provider=fcm" not in console.text

            # The gateway delivers again: three clean pushes bring it to 2 in 5 (40 % < 50 %).
            for _ in range(3):
                await welcome_push(on_gateway)
            assert len(gateway.deliveries("push")) == 3

            async def cleared() -> list[Any]:
                found = await alerts(on_gateway)
                return found if found and found[0].cleared_at is not None else []

            done = await eventually(cleared, timeout=40)
            assert [(a.scope["provider"], a.cleared_at is not None) for a in done] == [
                ("gateway", True)
            ]
        finally:
            with contextlib.suppress(RPCError):
                await handle.terminate()
