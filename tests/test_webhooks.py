"""Receipts and tracked links back into the ledger and the journeys, through the real API.

Signed webhooks land exactly once (a replay changes nothing), bad signatures and payloads are
refused, and the first open and click of a real email become signals to its running journey.
"""

import json
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from temporalio.api.enums.v1 import EventType as HistoryEventType
from temporalio.testing import WorkflowEnvironment

from channels.settings import ChannelSettings, EmailChannelSettings
from channels.signing import SIGNATURE_HEADER, signature_header
from models.tables import CustomerRow, EventRow, MessageRow, ReceiptRow
from ops.time_travel import fast_forward
from tests.conftest import Stack, make_settings, unique
from tests.journey_helpers import cart, midday_timezone, post_event, put_customer
from tests.reports import seed
from tests.smtp_server import SmtpSink
from workers.build import build_worker

SECRET = "receipt-secret-0123456789abcdef"


def channel_settings() -> ChannelSettings:
    return ChannelSettings(email=EmailChannelSettings(webhook_secret=SecretStr(SECRET)))


@pytest.fixture
async def api(
    temporal_env: WorkflowEnvironment, database_url: str, tmp_path: Path
) -> AsyncIterator[Stack]:
    """The API alone (no worker) on SQLite and PostgreSQL."""
    settings = make_settings(database_url, tmp_path, channels=channel_settings())
    stack = Stack(settings, temporal_env.client)
    yield stack
    await stack.close()


def signed(body: Any, secret: str = SECRET, at: float | None = None) -> dict[str, Any]:
    raw = json.dumps(body).encode()
    stamp = int(time.time() if at is None else at)
    return {
        "content": raw,
        "headers": {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature_header(secret, raw, stamp),
        },
    }


async def post_receipts(
    stack: Stack, body: Any, provider: str = "email", **kw: Any
) -> httpx.Response:
    # No bearer key: providers authenticate by signature alone.
    async with httpx.AsyncClient(transport=stack.http._transport, base_url="http://api") as bare:
        return await bare.post(f"/v1/webhooks/{provider}", **(signed(body) | kw))


async def sent_message(
    stack: Stack, customer_id: str, provider_ref: str | None = None, channel: str = "email"
) -> str:
    """A ledger row as delivery leaves it: sent on `channel`, for a journey that is not running."""
    sent = seed.message(
        customer_id,
        datetime.now(UTC),
        channel=channel,
        reason="delivered",
        trigger_event_id="evt-1",
        title="t",
        body="b",
        provider_ref=provider_ref,
    )
    async with stack.sessions.begin() as session:
        session.add(sent)
    return sent.message_id


def receipt(type: str, message_id: str | None = None, **fields: Any) -> dict[str, Any]:
    body = {"receipt_id": unique("r"), "type": type, "occurred_at": datetime.now(UTC).isoformat()}
    if message_id:
        body["message_id"] = message_id
    return body | fields


async def row(stack: Stack, message_id: str) -> MessageRow:
    async with stack.sessions() as session:
        found = await session.get(MessageRow, message_id)
    assert found is not None
    return found


async def test_receipts_need_the_providers_signature(api: Stack) -> None:
    customer_id = unique("c")
    await put_customer(api, customer_id, email=f"{customer_id}@example.com")
    message_id = await sent_message(api, customer_id)
    body = receipt("delivered", message_id)

    async def status(**kw: Any) -> int:
        return (await post_receipts(api, body, **kw)).status_code

    assert await status(provider="fax") == 404
    assert await status(provider="sms") == 404  # no SMS provider configured here
    assert await status(headers={"Content-Type": "application/json"}) == 401
    assert await status(**signed(body, secret="not-the-shared-secret-at-all")) == 401
    assert await status(**signed(body, at=time.time() - 600)) == 401
    forged = signed(body)
    forged["content"] = json.dumps(body | {"type": "complained"}).encode()
    assert await status(**forged) == 401
    assert (await row(api, message_id)).delivered_at is None  # none of them did anything

    for bad, field in (
        ({**body, "type": "exploded"}, "type"),
        ({k: v for k, v in body.items() if k != "receipt_id"}, "receipt_id"),
        ({**body, "occurred_at": "2026-11-24T10:00:00"}, "occurred_at"),
        ([body, {"receipt_id": "x", "type": "opened", "occurred_at": body["occurred_at"]}], "1"),
    ):
        response = await post_receipts(api, bad)
        assert response.status_code == 422, response.text
        assert field in response.json()["detail"][0]["field"]
    not_json = signed(body)
    not_json["content"] = b"{not json"
    not_json["headers"][SIGNATURE_HEADER] = signature_header(SECRET, b"{not json", int(time.time()))
    assert await status(**not_json) == 422

    assert await status() == 200


async def test_each_receipt_lands_exactly_once(api: Stack) -> None:
    customer_id = unique("c")
    await put_customer(api, customer_id, email=f"{customer_id}@example.com")
    message_id = await sent_message(api, customer_id, provider_ref=unique("esp"))
    batch = [receipt("delivered", message_id), receipt("opened", message_id)]

    first = await post_receipts(api, batch)
    replay = await post_receipts(api, batch)
    again = await post_receipts(
        api, [receipt("opened", message_id), receipt("opened", "m_unknown")]
    )

    assert [r["outcome"] for r in first.json()["receipts"]] == ["applied", "applied"]
    assert [r["outcome"] for r in replay.json()["receipts"]] == ["duplicate", "duplicate"]
    assert [r["outcome"] for r in again.json()["receipts"]] == ["applied", "unknown_message"]
    ledger = await row(api, message_id)
    assert ledger.delivered_at is not None
    assert ledger.opened_at == datetime.fromisoformat(batch[1]["occurred_at"])
    async with api.sessions() as session:
        receipts = list(
            await session.scalars(select(ReceiptRow).where(ReceiptRow.message_id == message_id))
        )
        events = list(
            await session.scalars(
                select(EventRow).where(
                    EventRow.customer_id == customer_id, EventRow.type == "message_opened"
                )
            )
        )
    assert len(receipts) == 3
    assert len(events) == 1 and events[0].properties == {"message_id": message_id}
    assert events[0].routed_at is not None  # routed (to no running journey: ignored)

    by_ref = receipt("delivered", provider_ref=ledger.provider_ref)
    response = await post_receipts(api, by_ref)
    assert response.json()["receipts"][0] == {
        "receipt_id": by_ref["receipt_id"],
        "outcome": "applied",
        "message_id": message_id,
    }


async def test_bounces_complaints_and_unsubscribes_reach_the_guardrails(api: Stack) -> None:
    customer_id = unique("c")
    await put_customer(
        api, customer_id, email=f"{customer_id}@example.com", consent={"email": True, "sms": True}
    )
    bounced, first, second, last = [await sent_message(api, customer_id) for _ in range(4)]

    response = await post_receipts(
        api,
        [
            receipt("bounced", bounced, reason="5.1.1 user unknown"),
            receipt("complained", first),
        ],
    )
    assert response.status_code == 200
    assert ((await row(api, bounced)).status, (await row(api, bounced)).reason) == (
        "failed",
        "bounced",
    )
    assert (await row(api, first)).complained_at is not None
    async with api.sessions() as session:
        customer = await session.get(CustomerRow, customer_id)
    assert customer is not None and customer.silence_until is not None and not customer.blacklisted

    await post_receipts(api, [receipt("complained", second), receipt("unsubscribed", last)])
    async with api.sessions() as session:
        customer = await session.get(CustomerRow, customer_id)
    assert customer is not None and customer.blacklisted  # the second complaint
    assert set(customer.unsubscribed_channels) == {"inapp", "push", "wechat", "email", "sms"}
    assert not any(customer.consent.values())
    assert (await row(api, last)).unsubscribed_at is not None


def html_part(mail: Message) -> str:
    [part] = [p for p in mail.walk() if p.get_content_type() == "text/html"]
    return part.get_payload(decode=True).decode()


async def signals(stack: Stack, workflow_id: str, name: str) -> int:
    handle = stack.client.get_workflow_handle(workflow_id)
    names = [
        event.workflow_execution_signaled_event_attributes.signal_name
        async for event in handle.fetch_history_events()
        if event.event_type == HistoryEventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    ]
    return names.count(name)


async def test_an_emails_pixel_and_link_reach_its_journey_once(
    temporal_env: WorkflowEnvironment, sqlite_url: str, smtp: SmtpSink, tmp_path: Path
) -> None:
    settings = make_settings(
        sqlite_url,
        tmp_path,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_timeout_seconds=2.0,
        channels=channel_settings(),
    )
    stack = Stack(settings, temporal_env.client)
    async with build_worker(temporal_env.client, settings, stack.sessions):
        customer_id = unique("c")
        email = f"{customer_id}@example.com"
        await put_customer(
            stack, customer_id, email=email, consent={"email": True}, timezone=midday_timezone()
        )
        with temporal_env.with_time_skipping_disabled():
            await post_event(stack, customer_id, "cart_updated", cart())
        workflow_id = f"cart_abandonment:{customer_id}"
        await fast_forward(stack.client, workflow_id, timedelta(minutes=31))

        [mail] = smtp.to(email)
        html = html_part(mail)
        [pixel] = re.findall(r'src="http://127\.0\.0\.1:8000(/t/o/[^"]+\.gif)"', html)
        [link] = re.findall(r'href="http://127\.0\.0\.1:8000(/t/c/[^"]+)"', html)
        message_id = mail["X-Journeys-Message-Id"]
        bare = httpx.AsyncClient(transport=stack.http._transport, base_url="http://api")

        for _ in range(2):  # a second open and click change nothing
            opened = await bare.get(pixel)
            assert opened.status_code == 200 and opened.headers["content-type"] == "image/gif"
            assert opened.content.startswith(b"GIF89a")
            clicked = await bare.get(link)
            assert clicked.status_code == 302
            assert clicked.headers["location"].startswith("https://shop.example.com/?utm_source=")

        assert (await bare.get(link.replace("/t/c/", "/t/c/x"))).status_code == 404
        assert (
            await bare.get(pixel.replace("/t/o/", "/t/c/").removesuffix(".gif"))
        ).status_code == 404
        ledger = await row(stack, message_id)
        assert ledger.opened_at is not None and ledger.clicked_at is not None
        assert await signals(stack, workflow_id, "message_opened") == 1
        assert await signals(stack, workflow_id, "message_clicked") == 1
        await bare.aclose()
        await stack.client.get_workflow_handle(workflow_id).terminate("test done")
    await stack.close()
