"""Customers' SMS replies through the custom gateway's signed inbound route: STOP, TD, 退订 and
the other opt-out words unsubscribe them from every channel at once, with an audit record; any
other reply changes nothing."""

import json
import time
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from channels.settings import ChannelSettings, HttpProviderSettings
from channels.signing import SIGNATURE_HEADER, signature_header
from storage.audit import audit_entries
from tests.conftest import Stack, mail_settings, unique, worker_stack
from tests.journey_helpers import (
    cart,
    journey,
    midday_timezone,
    post_event,
    put_customer,
    run_to_end,
)
from tests.smtp_server import SmtpSink

SECRET = "sms-gateway-webhook-secret-0123"


def signed(body: Any, secret: str = SECRET) -> dict[str, Any]:
    """The request as the gateway signs it (channels/signing.py), as it signs its receipts."""
    raw = json.dumps(body, ensure_ascii=False).encode()
    return {
        "content": raw,
        "headers": {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature_header(secret, raw, int(time.time())),
        },
    }


async def reply(stack: Stack, body: Any, secret: str = SECRET) -> httpx.Response:
    async with httpx.AsyncClient(transport=stack.http._transport, base_url="http://api") as gateway:
        return await gateway.post("/v1/webhooks/sms/inbound", **signed(body, secret))


async def test_a_td_reply_stops_every_channel_and_another_reply_nothing(
    temporal_env: WorkflowEnvironment, sqlite_url: str, smtp: SmtpSink, tmp_path: Path
) -> None:
    gateway = HttpProviderSettings(base_url="http://127.0.0.1:9", webhook_secret=SecretStr(SECRET))
    settings = mail_settings(sqlite_url, tmp_path, smtp, channels=ChannelSettings(sms=gateway))
    async with worker_stack(temporal_env, settings) as stack:
        numbers = {"stopped": "+8613800138001", "chatty": "+8613800138002"}
        customers = {name: unique("c") for name in numbers}
        for name, customer_id in customers.items():
            await put_customer(
                stack,
                customer_id,
                email=f"{customer_id}@example.com",
                phone=numbers[name],
                consent={"email": True, "sms": True, "push": True},
                timezone=midday_timezone(),
            )

        stop = await reply(stack, {"id": unique("r"), "from": numbers["stopped"], "text": "退订"})
        chat = await reply(stack, {"id": unique("r"), "from": numbers["chatty"], "text": "谢谢"})
        assert (stop.status_code, stop.json()["opt_out"]) == (200, True)
        assert (chat.status_code, chat.json()["opt_out"]) == (200, False)

        with temporal_env.with_time_skipping_disabled():
            for customer_id in customers.values():
                await post_event(stack, customer_id, "cart_updated", cart())
        stopped = await run_to_end(
            temporal_env, journey(stack, "cart_abandonment", customers["stopped"])
        )
        chatty = await run_to_end(
            temporal_env, journey(stack, "cart_abandonment", customers["chatty"])
        )

        assert [m.status for m in stopped.messages] == ["suppressed"] * 3
        assert {m.rule for m in stopped.messages} == {"consent"}
        assert smtp.to(f"{customers['stopped']}@example.com") == []
        assert (await stack.http.get(f"/v1/customers/{customers['stopped']}/outbox")).json()[
            "items"
        ] == []
        assert [m.status for m in chatty.messages] == ["sent"] * 3
        profile = (await stack.http.get(f"/v1/customers/{customers['stopped']}")).json()
        assert set(profile["unsubscribed_channels"]) == {"inapp", "push", "wechat", "email", "sms"}
        async with stack.sessions() as session:
            records = [
                row
                for row in await audit_entries(session, "customer.unsubscribe")
                if row.target in customers.values()
            ]
        assert [(r.target, r.actor, r.outcome) for r in records] == [
            (customers["stopped"], "sms_reply:sms_gateway_reply", "ok")
        ]


async def test_an_inbound_reply_must_be_signed_and_well_formed(
    temporal_env: WorkflowEnvironment, sqlite_url: str, smtp: SmtpSink, tmp_path: Path
) -> None:
    gateway = HttpProviderSettings(base_url="http://127.0.0.1:9", webhook_secret=SecretStr(SECRET))
    settings = mail_settings(sqlite_url, tmp_path, smtp, channels=ChannelSettings(sms=gateway))
    async with worker_stack(temporal_env, settings) as stack:
        body = {"id": "r-1", "from": "+8613800138003", "text": "STOP"}
        forged = await reply(stack, body, secret="not-the-secret-0123456789")
        assert (forged.status_code, forged.json()["detail"][0]["field"]) == (401, SIGNATURE_HEADER)
        async with httpx.AsyncClient(transport=stack.http._transport, base_url="http://api") as c:
            unsigned = await c.post("/v1/webhooks/sms/inbound", json=body)
        assert unsigned.status_code == 401
        for bad, field in (({**body, "from": "13800138003"}, "from"), ({"id": "r-2"}, "from")):
            answer = await reply(stack, bad)
            assert (answer.status_code, answer.json()["detail"][0]["field"]) == (422, field)
    # Without a gateway secret (or with another provider) there is no such route to call.
    async with worker_stack(temporal_env, mail_settings(sqlite_url, tmp_path, smtp)) as bare:
        assert (await reply(bare, body)).status_code == 404
