"""Outbound webhooks on the real stack: a receiver on loopback gets the events signed, in order
per customer; down for over an hour (the endpoint workflow's time, skipped), it gets everything
afterwards, each event once; what it never takes is dead-lettered after a day and replayed on
request."""

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from storage.webhooks import get_endpoint, list_endpoints, max_seq
from tests.conftest import Stack, eventually, mail_settings, unique, worker_stack
from tests.journey_helpers import journey, midday_timezone, post_event, put_customer, run_to_end
from tests.smtp_server import SmtpSink
from tests.webhooks.receiver import Receiver
from webhooks.collect import collect_events
from webhooks.completed import closed_journeys
from webhooks.settings import WebhookSettings
from workflows.webhook_delivery import workflow_id

# Failed tries, backing off from 5 s doubling, that span more than an hour: 5 s * (2^10 - 1).
OVER_AN_HOUR = 11


@pytest.fixture
async def hooks_stack(
    temporal_env: WorkflowEnvironment, sqlite_url: str, smtp: SmtpSink, tmp_path: Path
) -> AsyncIterator[Stack]:
    # Backoff capped at 6 h rather than 30 min: a day of failures is ~17 tries, not ~56, each a
    # real HTTP attempt and timer skip (the cap itself is still reached before the dead letter).
    webhooks = WebhookSettings(retry_hours=24, max_backoff_seconds=6 * 3600)
    settings = mail_settings(sqlite_url, tmp_path, smtp, webhooks=webhooks)
    async with worker_stack(temporal_env, settings) as stack:
        yield stack
        async with stack.sessions() as session:
            endpoints = await list_endpoints(session)
        for endpoint in endpoints:  # the endpoints' workflows end with the test
            handle = stack.client.get_workflow_handle(workflow_id(endpoint.endpoint_id))
            with contextlib.suppress(RPCError):  # ended already (another test's)
                await handle.terminate()


async def register(stack: Stack, receiver: Receiver, *types: str) -> str:
    response = await stack.http.post(
        "/v1/ops/webhooks", json={"url": receiver.url, "event_types": list(types)}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["secret"].startswith("whsec_")
    receiver.secret = body["secret"]
    return body["endpoint_id"]


async def signup(stack: Stack) -> str:
    customer_id = unique("c")
    await put_customer(
        stack,
        customer_id,
        email=f"{customer_id}@example.com",
        consent={"email": True},
        timezone=midday_timezone(),
    )
    await post_event(stack, customer_id, "signup", {})
    return customer_id


async def sent_messages(stack: Stack, customer_id: str) -> list[str]:
    rows = (await stack.http.get(f"/v1/customers/{customer_id}/messages")).json()["items"]
    return sorted(row["message_id"] for row in rows if row["status"] == "sent")


def of(receiver: Receiver, customer_id: str) -> list[dict[str, Any]]:
    return [d for d in receiver.received if d["data"]["customer_id"] == customer_id]


async def everything_for(stack: Stack, receiver: Receiver, customer_id: str) -> bool:
    """The customer's journey start and every message the ledger has sent, received."""
    got = of(receiver, customer_id)
    sent = await sent_messages(stack, customer_id)
    received = sorted(d["data"]["message_id"] for d in got if d["type"] == "message.sent")
    return bool(sent) and received == sent and got[0]["type"] == "journey.started"


async def endpoint_view(stack: Stack, endpoint_id: str) -> dict[str, Any]:
    listed = (await stack.http.get("/v1/ops/webhooks")).json()
    return next(e for e in listed if e["endpoint_id"] == endpoint_id)


async def test_a_receiver_down_for_an_hour_gets_every_event_afterwards_once_and_in_order(
    hooks_stack: Stack,
) -> None:
    stack, receiver = hooks_stack, Receiver()
    await receiver.start()
    endpoint_id = await register(stack, receiver, "journey.started", "message.sent")
    first = await signup(stack)
    assert await eventually(lambda: everything_for(stack, receiver, first), timeout=60)
    sent = next(d for d in of(receiver, first) if d["type"] == "message.sent")
    assert sent["data"]["journey"] == "welcome" and sent["data"]["channel"] == "email"
    assert f"{first}@example.com" not in str(receiver.received)  # no contact detail

    await receiver.stop()
    later = [await signup(stack), await signup(stack)]

    async def down_over_an_hour() -> dict[str, Any] | None:
        endpoint = await endpoint_view(stack, endpoint_id)
        return endpoint if endpoint["failures"] >= OVER_AN_HOUR else None

    endpoint = await eventually(down_over_an_hour, timeout=90)
    assert endpoint is not None and endpoint["last_error"] == "ConnectError"
    assert all(of(receiver, customer_id) == [] for customer_id in later)

    await receiver.start()
    for customer_id in later:
        assert await eventually(lambda c=customer_id: everything_for(stack, receiver, c), 60)
    assert len(receiver.ids()) == len(set(receiver.ids()))  # each event once
    assert receiver.rejected == 0
    assert (await endpoint_view(stack, endpoint_id))["failures"] == 0
    dead = await stack.http.get(f"/v1/ops/webhooks/{endpoint_id}/dead-letters")
    assert dead.status_code == 200 and dead.json() == []
    await receiver.stop()


async def test_an_event_never_taken_is_dead_lettered_after_a_day_and_replayed_on_request(
    hooks_stack: Stack,
) -> None:
    stack, receiver = hooks_stack, Receiver()
    await receiver.start()
    receiver.status = 500
    endpoint_id = await register(stack, receiver, "journey.started")
    customer_id = await signup(stack)

    async def dead() -> list[dict[str, Any]]:
        response = await stack.http.get(f"/v1/ops/webhooks/{endpoint_id}/dead-letters")
        return response.json()

    letters = await eventually(dead, timeout=90)
    assert [(d["event_id"].split(":")[0], d["state"]) for d in letters] == [
        ("journey.started", "pending")
    ]
    assert letters[0]["error"] == "HTTP 500" and letters[0]["failures"] > 1
    assert receiver.received == []

    receiver.status = 200
    replay = await stack.http.post(
        f"/v1/ops/webhooks/{endpoint_id}/dead-letters/{letters[0]['seq']}/replay"
    )
    assert replay.status_code == 202, replay.text

    async def replayed() -> bool:
        return [d["type"] for d in of(receiver, customer_id)] == ["journey.started"] and (
            await dead()
        )[0]["state"] == "replayed"

    assert await eventually(replayed)
    missing = await stack.http.post(f"/v1/ops/webhooks/{endpoint_id}/dead-letters/999999/replay")
    assert missing.status_code == 404
    await receiver.stop()


async def test_registration_refuses_bad_urls_and_unknown_types_naming_the_field(
    hooks_stack: Stack,
) -> None:
    cases = [
        ({"url": "ftp://example.com/x", "event_types": ["message.sent"]}, "url"),
        ({"url": "http://example.com/x", "event_types": ["message.sent"]}, "url"),
        ({"url": "https://example.com/x", "event_types": ["message.exploded"]}, "event_types"),
    ]
    for body, field in cases:
        response = await hooks_stack.http.post("/v1/ops/webhooks", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["field"] == field
    ok = await hooks_stack.http.post(
        # https to a closed loopback port: whatever its workflow tries stays on this machine.
        "/v1/ops/webhooks",
        json={"url": "https://127.0.0.1:9/hooks", "event_types": ["tag.changed"]},
    )
    assert ok.status_code == 201
    endpoint_id = ok.json()["endpoint_id"]
    listed = (await hooks_stack.http.get("/v1/ops/webhooks")).json()
    assert all("secret" not in endpoint for endpoint in listed)
    gone = await hooks_stack.http.delete(f"/v1/ops/webhooks/{endpoint_id}")
    assert gone.status_code == 204
    again = await hooks_stack.http.delete(f"/v1/ops/webhooks/{endpoint_id}")
    assert again.status_code == 404


async def test_a_journey_that_ran_to_its_end_is_published_once_after_its_messages(
    hooks_stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    stack, receiver = hooks_stack, Receiver()
    await receiver.start()
    endpoint_id = await register(
        stack, receiver, "journey.started", "message.sent", "journey.completed"
    )
    customer_id = await signup(stack)
    handle = journey(stack, "welcome", customer_id)
    state = await run_to_end(temporal_env, handle)  # the welcome walks to its end, days skipped
    assert state.status == "completed"

    async def completed() -> list[dict[str, Any]]:
        return [d for d in of(receiver, customer_id) if d["type"] == "journey.completed"]

    ended = await eventually(completed, timeout=60)
    assert len(ended) == 1, receiver.received
    run = await handle.describe()
    data = ended[0]["data"]
    assert ended[0]["id"] == f"journey.completed:{run.run_id}"
    assert (data["journey"], data["customer_id"], data["run_id"], data["outcome"]) == (
        "welcome",
        customer_id,
        run.run_id,
        "completed",
    )
    assert data["started_at"] < data["completed_at"]
    # After the run's messages (every one it sent)...
    sent = await sent_messages(stack, customer_id)
    types = [d["type"] for d in of(receiver, customer_id)]
    assert sent and types == ["journey.started", *["message.sent"] * len(sent), "journey.completed"]
    # ...and once: the run read again by a later collection is the same event.
    overlap = timedelta(minutes=stack.settings.webhooks.overlap_minutes)
    await collect_events(stack.sessions, datetime.now(UTC), overlap, closed_journeys(stack.client))

    async def caught_up() -> bool:
        async with stack.sessions() as session:
            endpoint = await get_endpoint(session, endpoint_id)
            return endpoint is not None and endpoint.cursor >= await max_seq(session)

    assert await eventually(caught_up, timeout=60)
    assert [d["type"] for d in of(receiver, customer_id)] == types
    assert len(receiver.ids()) == len(set(receiver.ids()))
    await receiver.stop()
