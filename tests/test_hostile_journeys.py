"""Hostile input that used to get through, driven through the real API, a real worker, real
Temporal and a real SMTP server (issue 26): a provider's receipt acting on a message another
channel carried, placeholders inside event data, what a recipient can read in an email,
internationalised addresses, JSON that wedged journeys, and a wedged journey nobody saw."""

import asyncio
import base64
import binascii
import json
import os
import re
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from temporalio.api.enums.v1 import EventType as HistoryEventType
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from channels.signing import SIGNATURE_HEADER, signature_header
from models.tables import AuditRow, EventRow, MessageRow, RefusedReceiptRow
from ops.time_travel import FastForwardFailed, fast_forward
from ops.wedged import find_wedged
from tests.conftest import Stack, eventually, make_settings, unique
from tests.journey_helpers import cart, event_body, midday_timezone, post_event, put_customer
from tests.ops.helpers import cli_env, journeyctl
from tests.smtp_server import SmtpSink
from tests.test_webhooks import SECRET, channel_settings, post_receipts
from workers.build import build_worker


def stack_settings(sqlite_url: str, tmp_path: Path, smtp: SmtpSink) -> Any:
    return make_settings(
        sqlite_url,
        tmp_path,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_timeout_seconds=2.0,
        channels=channel_settings(),
    )


@pytest.fixture
async def stack(
    temporal_env: WorkflowEnvironment, sqlite_url: str, smtp: SmtpSink, tmp_path: Path
) -> AsyncIterator[Stack]:
    """API and worker, email over the session's SMTP server, the email provider's receipts on."""
    settings = stack_settings(sqlite_url, tmp_path, smtp)
    stack = Stack(settings, temporal_env.client)
    async with build_worker(temporal_env.client, settings, stack.sessions):
        yield stack
    await stack.close()


async def cart_journey(
    stack: Stack, env: WorkflowEnvironment, customer_id: str, properties: dict[str, Any]
) -> str:
    """A cart journey, moved past its 30-minute message."""
    with env.with_time_skipping_disabled():
        await post_event(stack, customer_id, "cart_updated", properties)
    workflow_id = f"cart_abandonment:{customer_id}"
    await fast_forward(stack.client, workflow_id, timedelta(minutes=31))
    return workflow_id


async def ledger(stack: Stack, customer_id: str) -> list[MessageRow]:
    async with stack.sessions() as session:
        rows = await session.scalars(
            select(MessageRow).where(MessageRow.customer_id == customer_id)
        )
        return list(rows)


async def test_a_receipt_acts_only_on_a_message_its_provider_carried(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    customer_id = unique("c")
    await put_customer(
        stack,
        customer_id,
        email=f"{customer_id}@example.com",
        consent={"inapp": True, "email": True},
        timezone=midday_timezone(),
    )
    workflow_id = await cart_journey(stack, temporal_env, customer_id, cart())
    [inapp] = [row for row in await ledger(stack, customer_id) if row.status == "sent"]
    assert inapp.channel == "inapp"

    unsubscribe = {
        "receipt_id": unique("r"),
        "type": "unsubscribed",
        "message_id": inapp.message_id,
        "occurred_at": datetime.now(UTC).isoformat(),
    }
    refused = await post_receipts(stack, unsubscribe)
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"][0]["field"] == "message_id"
    in_a_list = [
        {**unsubscribe, "receipt_id": unique("r"), "type": t} for t in ("opened", "bounced")
    ]
    listed = await post_receipts(stack, in_a_list)
    assert listed.status_code == 403 and listed.json()["detail"][0]["field"] == "0.message_id"

    profile = (await stack.http.get(f"/v1/customers/{customer_id}")).json()
    assert profile["unsubscribed_channels"] == [] and profile["silence_until"] is None
    assert profile["consent"] == {"inapp": True, "email": True}
    assert (await ledger(stack, customer_id))[0].unsubscribed_at is None
    async with stack.sessions() as session:
        kept = list(
            await session.scalars(
                select(RefusedReceiptRow).where(RefusedReceiptRow.message_id == inapp.message_id)
            )
        )
    assert [(r.provider, r.type, r.message_channel) for r in kept] == [
        ("email", "unsubscribed", "inapp"),
        ("email", "opened", "inapp"),
        ("email", "bounced", "inapp"),
    ]
    row = (await ledger(stack, customer_id))[0]
    assert (row.status, row.opened_at, row.bounced_at) == ("sent", None, None)
    await stack.client.get_workflow_handle(workflow_id).terminate("test done")


def parts(mail: Message) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in mail.walk()
        if not part.is_multipart()
    }


def readable(token: str) -> str:
    """Everything a recipient could read out of a token: the token, and each piece of it that
    decodes as base64."""
    pieces = [token]
    for piece in re.split(r"[.]", token):
        try:
            pieces.append(
                base64.urlsafe_b64decode(piece + "=" * (-len(piece) % 4)).decode("latin-1")
            )
        except (binascii.Error, ValueError):
            pass
    return " ".join(pieces)


async def test_event_data_reaches_the_customer_as_text_and_the_email_shows_no_ids(
    stack: Stack, temporal_env: WorkflowEnvironment, smtp: SmtpSink
) -> None:
    customer_id = unique("c")
    email = f"{unique('ada')}@example.com"  # the address itself is the recipient's to see
    await put_customer(
        stack,
        customer_id,
        email=email,
        consent={"email": True},
        timezone=midday_timezone(),
        attributes={"first_name": "Ada"},
    )
    names = ["Shirt {{first_name}} {{coupon_code}}", "Linen {{no_such_value}} shirt"]
    items = [
        {"sku": f"sku-{n}", "name": name, "price": 20.0, "quantity": 1}
        for n, name in enumerate(names)
    ]
    event_id = unique("e")
    with temporal_env.with_time_skipping_disabled():
        response = await stack.http.post(
            "/v1/events",
            json=event_body(
                customer_id,
                "cart_updated",
                {"cart_id": "cart-9", "items": items, "total": 40.0},
                event_id=event_id,
            ),
        )
        assert response.status_code == 202, response.text
    workflow_id = f"cart_abandonment:{customer_id}"
    await fast_forward(stack.client, workflow_id, timedelta(minutes=31))

    [row] = await ledger(stack, customer_id)
    assert (row.channel, row.status) == ("email", "sent"), row.reason
    [mail] = smtp.to(email)
    body = parts(mail)
    for text in body.values():
        assert "Shirt {{first_name}} {{coupon_code}}" in text
        assert "Linen {{no_such_value}} shirt" in text
        assert "Shirt Ada" not in text and "lbrace" not in text

    # What the recipient can read: headers and the links, none naming the customer or the event.
    visible = "\n".join(f"{name}: {value}" for name, value in mail.items())
    links = re.findall(
        r"/(?:t/[co]|v1/unsubscribe)/([A-Za-z0-9_=.\-]+)", visible + body["text/html"]
    )
    assert len(links) >= 3  # the call to action, the open pixel, the unsubscribe link
    for secret in (customer_id, event_id, workflow_id):
        assert secret not in visible
        for token in links:
            assert secret not in readable(token)
    for token in links:
        assert row.message_id not in readable(token)
    await stack.client.get_workflow_handle(workflow_id).terminate("test done")


async def test_internationalised_addresses_go_out_with_smtputf8_or_are_never_called_sent(
    temporal_env: WorkflowEnvironment, sqlite_url: str, smtp: SmtpSink, tmp_path: Path
) -> None:
    utf8_relay = SmtpSink(smtputf8=True)
    utf8_relay.start()
    stacks = []
    try:
        for relay, directory in ((utf8_relay, "utf8"), (smtp, "ascii")):
            settings = stack_settings(sqlite_url, tmp_path / directory, relay)
            stacks.append((Stack(settings, temporal_env.client), relay))
        outcomes = []
        async with (
            build_worker(temporal_env.client, stacks[0][0].settings, stacks[0][0].sessions),
            build_worker(temporal_env.client, stacks[1][0].settings, stacks[1][0].sessions),
        ):
            for stack, _ in stacks:
                customer_id = unique("c")
                await put_customer(
                    stack,
                    customer_id,
                    email=f"用户{customer_id[-4:]}@例子.中国",
                    consent={"email": True},
                    timezone=midday_timezone(),
                )
                workflow_id = await cart_journey(stack, temporal_env, customer_id, cart())
                [row] = await ledger(stack, customer_id)
                outcomes.append((row.status, row.reason))
                await stack.client.get_workflow_handle(workflow_id).terminate("test done")
        assert outcomes[0][0] == "sent"
        assert any(r.startswith("用户") for r in utf8_relay.recipients)
        assert outcomes[1] == ("failed", "smtputf8_not_offered")  # nothing went out, none said so
    finally:
        utf8_relay.stop()
        for stack, _ in stacks:
            await stack.close()


async def history_types(handle: WorkflowHandle[Any, Any]) -> list[int]:
    return [event.event_type async for event in handle.fetch_history_events()]


async def test_json_too_deep_is_refused_before_anything_is_stored_and_journeys_keep_running(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    customer_id = unique("c")
    await put_customer(stack, customer_id, consent={"inapp": True}, timezone=midday_timezone())
    with temporal_env.with_time_skipping_disabled():
        await post_event(stack, customer_id, "cart_updated", cart())
        workflow_id = f"cart_abandonment:{customer_id}"
        for depth in (20, 230, 900, 5000):
            body = event_body(customer_id, "cart_updated", {**cart(), "deep": "DEEP"})
            raw = json.dumps(body).replace('"DEEP"', '{"d":' * depth + "1" + "}" * depth)
            response = await stack.http.post(
                "/v1/events", content=raw, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 422, (depth, response.text)
            async with stack.sessions() as session:
                assert await session.get(EventRow, body["event_id"]) is None  # nothing stored
            # The sender's retry, fixed, with the same id goes through as a new event.
            fixed = await stack.http.post("/v1/events", json={**body, "properties": cart()})
            assert fixed.status_code == 202 and fixed.json()["duplicate"] is False
        deep_receipt = '{"r":' * 5000 + "1" + "}" * 5000
        signed = signature_header(SECRET, deep_receipt.encode(), int(datetime.now(UTC).timestamp()))
        async with httpx.AsyncClient(transport=stack.http._transport, base_url="http://api") as raw:
            receipt = await raw.post(
                "/v1/webhooks/email",
                content=deep_receipt,
                headers={"Content-Type": "application/json", SIGNATURE_HEADER: signed},
            )
        assert receipt.status_code == 422, receipt.text

        handle = stack.client.get_workflow_handle(workflow_id)

        async def caught_up() -> bool:
            types = await history_types(handle)
            signals = [
                n
                for n, t in enumerate(types)
                if t == HistoryEventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
            ]
            done = [
                n
                for n, t in enumerate(types)
                if t == HistoryEventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
            ]
            return bool(done) and done[-1] > signals[-1]

        assert await eventually(caught_up)
        assert HistoryEventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in await history_types(handle)
        await handle.terminate("test done")


def counted_failures() -> float:
    return sum(
        sample.value
        for metric in REGISTRY.collect()
        if metric.name == "journey_workflow_task_failures"
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


async def test_a_wedged_journey_raises_the_alert_shows_in_the_operator_views_and_is_repaired(
    stack: Stack, temporal_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    customer_id = unique("c")
    await put_customer(stack, customer_id, consent={"inapp": True}, timezone=midday_timezone())
    before = counted_failures()
    with temporal_env.with_time_skipping_disabled():
        await post_event(stack, customer_id, "cart_updated", cart())
        workflow_id = f"cart_abandonment:{customer_id}"
        handle = stack.client.get_workflow_handle(workflow_id)

        async def started() -> bool:
            done = HistoryEventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
            return done in await history_types(handle)

        # The run has done its first task, so a repair has a point to reset to (a signal in the
        # first task, which a loaded worker may pick up with the start, leaves none).
        assert await eventually(started, timeout=30)
        # An event no worker can read, as one sent by an older API or another client would be.
        await handle.signal("order_paid", {"event_id": 7, "properties": "garbage"})

        async def listed() -> list[Any]:
            return [r for r in await find_wedged(stack.client) if r.workflow_id == workflow_id]

        [wedged] = await eventually(listed, timeout=60)
        assert wedged.attempts >= 2 and wedged.reset_point is not None
        assert "Event" in wedged.error  # the validation error of the payload
        assert counted_failures() >= before + 2
        alerts = [
            line
            for line in capsys.readouterr().out.splitlines()
            if "workflow task failed" in line and workflow_id in line
        ]
        assert alerts, "no alert line for the wedged run"

        view = await stack.http.get("/v1/ops/wedged-journeys")
        assert view.status_code == 200
        assert workflow_id in [run["workflow_id"] for run in view.json()]
        scraped = (await stack.http.get("/metrics")).text
        [count] = re.findall(r"^journey_wedged_runs (\S+)$", scraped, re.M)
        assert float(count) >= 1

        env = cli_env(stack.client, stack.settings)
        listing = await journeyctl(env, "ops", "wedged")
        assert listing.exit_code == 1 and workflow_id in listing.output
        repaired = await journeyctl(
            env, "ops", "wedged", "--reset", "--drop-signals", "--yes", "--workflow-id", workflow_id
        )
        assert repaired.exit_code == 0, repaired.output
        async with stack.sessions() as session:
            audit = (
                await session.scalars(select(AuditRow).where(AuditRow.target == workflow_id))
            ).all()
        # The repair is audited as the console's is: who, what, the cause and the new run.
        assert [(row.action, row.outcome) for row in audit] == [("journey.wedged.reset", "ok")]
        assert audit[0].actor.startswith("cli:") and audit[0].detail["new_run_id"]
        new_run = stack.client.get_workflow_handle(workflow_id)

        async def running_again() -> bool:
            description = await new_run.describe()
            return (
                description.run_id != wedged.run_id
                and description.raw_description.pending_workflow_task.attempt < 2
                and HistoryEventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
                in (await history_types(new_run))[wedged.reset_point :]
            )

        assert await eventually(running_again, timeout=30)
        assert not await listed()
    await new_run.terminate("test done")


async def test_fast_forward_exits_cleanly(stack: Stack, temporal_env: WorkflowEnvironment) -> None:
    """`journeyctl fast-forward` used to abort at exit, now and then, with `Fatal Python error:
    PyGILState_Release` after doing its work (3 of 20 runs by hand on an idle machine; the
    abort is a race at interpreter exit, rarer under load). Each run must exit 0, say where the
    clock got to, and print no such line; a journey that does not exist is an error of one line.
    (Each run has a journey of its own: two fast-forwards of one journey at once make the later
    replace the earlier, which then fails, see the next test.)"""
    workflow_ids = []
    for _ in range(3):
        customer_id = unique("c")
        await put_customer(stack, customer_id, consent={"inapp": True}, timezone=midday_timezone())
        with temporal_env.with_time_skipping_disabled():
            await post_event(stack, customer_id, "cart_updated", cart())
        workflow_ids.append(f"cart_abandonment:{customer_id}")
    journeyctl_path = str(Path(sys.executable).parent / "journeyctl")
    env = {**os.environ, **cli_env(stack.client, stack.settings)}
    missing = f"cart_abandonment:{unique('c')}"
    runs = [
        await asyncio.create_subprocess_exec(
            journeyctl_path,
            "fast-forward",
            workflow_id,
            "1m",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for workflow_id in [*workflow_ids, missing]
    ]
    outcomes = [await asyncio.wait_for(run.communicate(), timeout=120) for run in runs]
    for run, (out, err) in zip(runs[:3], outcomes[:3], strict=True):
        assert run.returncode == 0, err.decode()[-2000:]
        assert b"Fatal Python error" not in err
        assert b"clock now" in out
    out, err = outcomes[3]
    assert runs[3].returncode == 1, err.decode()[-2000:]
    assert err.decode() == f"error: {missing}: no such journey\n"
    for workflow_id in workflow_ids:
        await stack.client.get_workflow_handle(workflow_id).terminate("test done")


async def test_fast_forward_says_when_its_clock_did_not_get_there(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    """A fast-forward past the journey's end, and two at once on one journey: the SDK answers
    the first with False and the second (for the earlier one) with a bare RuntimeError; the
    operator reads what happened instead of a clock that was never reached or a traceback."""
    customer_id = unique("c")
    await put_customer(stack, customer_id, consent={"inapp": True}, timezone=midday_timezone())
    with temporal_env.with_time_skipping_disabled():
        await post_event(stack, customer_id, "cart_updated", cart())
    workflow_id = f"cart_abandonment:{customer_id}"
    both = await asyncio.gather(
        fast_forward(stack.client, workflow_id, timedelta(minutes=5)),
        fast_forward(stack.client, workflow_id, timedelta(minutes=6)),
        return_exceptions=True,
    )
    # Whichever was issued first may have got there before the other replaced it.
    assert any(isinstance(outcome, datetime) for outcome in both), both
    for outcome in both:
        if isinstance(outcome, BaseException):
            assert isinstance(outcome, FastForwardFailed) and "replaced this one" in str(outcome)
    with pytest.raises(FastForwardFailed, match="the journey ended before its clock got there"):
        await fast_forward(stack.client, workflow_id, timedelta(days=30))
