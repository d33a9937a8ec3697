"""The customer's own preferences, set through the API or the preference centre's form, change
what they receive: when (their own quiet hours, in their local time), on which channel, and how
often; the audit says whose rule held a message and which one."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from temporalio.testing import WorkflowEnvironment

from channels.link_tokens import LinkPurpose
from channels.setup import link_tokens
from models.channels import Channel
from models.messages import MessageDecision, MessageStatus
from storage.audit import audit_entries
from storage.ledger import record_decision
from tests.conftest import Stack, unique
from tests.journey_helpers import (
    cart,
    journey,
    midday_timezone,
    post_event,
    put_customer,
    run_to_end,
)
from tests.smtp_server import SmtpSink


def zone_where_it_is(hour: int) -> str:
    """An Etc/GMT zone whose local time is `hour`:xx right now (Etc/GMT-N is UTC+N)."""
    offset = (hour - datetime.now(UTC).hour + 12) % 24 - 12
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def centre_link(stack: Stack, customer_id: str) -> str:
    """The path of the preference centre, as the unsubscribe link in a message names it."""
    token = link_tokens(stack.settings).make(
        LinkPurpose.UNSUBSCRIBE, datetime.now(UTC) + timedelta(days=30), customer_id=customer_id
    )
    return f"/v1/unsubscribe/{token}"


def browser(stack: Stack) -> httpx.AsyncClient:
    """A client without the API key: what the customer's browser has."""
    return httpx.AsyncClient(transport=stack.http._transport, base_url="http://api")


async def test_the_customers_own_quiet_hours_hold_the_reminder_until_their_morning(
    stack: Stack, smtp: SmtpSink
) -> None:
    zone = zone_where_it_is(19)  # stage 1 falls due at 19:30-20:30 local, outside 22:00-09:00
    customer_id = unique("c")
    address = f"{customer_id}@example.com"
    await put_customer(stack, customer_id, email=address, consent={"email": True}, timezone=zone)
    answer = await stack.http.put(
        f"/v1/customers/{customer_id}/preferences",
        json={"quiet_hours_start": "19:00", "quiet_hours_end": "10:30"},
    )
    assert answer.status_code == 200, answer.text

    await post_event(stack, customer_id, "cart_updated", cart())
    await journey(stack, "cart_abandonment", customer_id).result()

    ledger = (await stack.http.get(f"/v1/customers/{customer_id}/messages")).json()["items"]
    stage_1 = sorted((m for m in ledger if m["step"] == "stage_1"), key=lambda m: m["created_at"])
    deferred, sent = stage_1
    assert (deferred["status"], deferred["rule"], deferred["rule_source"]) == (
        "deferred",
        "quiet_hours",
        "customer",
    )
    their_morning = datetime.fromisoformat(deferred["deferred_until"]).astimezone(ZoneInfo(zone))
    assert (their_morning.hour, their_morning.minute) == (10, 30)
    assert (sent["status"], sent["channel"]) == ("sent", "email")
    sent_at = datetime.fromisoformat(sent["created_at"]).astimezone(ZoneInfo(zone))
    assert timedelta(0) <= sent_at - their_morning < timedelta(minutes=1)
    assert len(smtp.to(address)) == 3  # every stage arrived, none in their quiet hours
    for message in ledger:
        if message["status"] == "sent":
            local = datetime.fromisoformat(message["created_at"]).astimezone(ZoneInfo(zone))
            assert (local.hour, local.minute) >= (10, 30) and local.hour < 19


async def test_a_channel_turned_off_in_the_preference_centre_moves_the_message(
    stack: Stack, smtp: SmtpSink, temporal_env: WorkflowEnvironment
) -> None:
    profile = {
        "consent": {"push": True, "email": True},
        "timezone": midday_timezone(),
        "push_token": "device-token-1",
    }
    as_before, turned_off = unique("c"), unique("c")
    for customer_id in (as_before, turned_off):
        await put_customer(stack, customer_id, email=f"{customer_id}@example.com", **profile)

    async with browser(stack) as customer_browser:
        page = await customer_browser.get(centre_link(stack, turned_off))
        assert 'name="channel" value="push" checked' in page.text
        saved = await customer_browser.post(
            f"{centre_link(stack, turned_off)}/preferences",
            data={
                "quiet_hours_start": "",
                "quiet_hours_end": "",
                "max_per_day": "",
                "max_per_week": "",
                "channel": ["inapp", "wechat", "email", "sms"],  # push unticked
            },
        )
    assert saved.status_code == 200, saved.text
    assert 'name="channel" value="push">' in saved.text  # the page shows it off

    with temporal_env.with_time_skipping_disabled():
        for customer_id in (as_before, turned_off):
            await post_event(stack, customer_id, "cart_updated", cart())
    handles = [journey(stack, "cart_abandonment", c) for c in (as_before, turned_off)]
    for handle in handles:
        await temporal_env.fast_forward(handle, timedelta(hours=1))

    def first(ledger: list[dict]) -> dict:
        return next(m for m in ledger if m["step"] == "stage_1" and m["status"] == "sent")

    before = first((await stack.http.get(f"/v1/customers/{as_before}/messages")).json()["items"])
    after = first((await stack.http.get(f"/v1/customers/{turned_off}/messages")).json()["items"])
    assert before["channel"] == "push"
    assert after["channel"] == "email"
    assert len(smtp.to(f"{turned_off}@example.com")) == 1
    outbox = (await stack.http.get(f"/v1/customers/{turned_off}/outbox")).json()["items"]
    assert [entry["channel"] for entry in outbox] == []  # nothing went to their phone
    async with stack.sessions() as session:
        [change] = [
            row
            for row in await audit_entries(session, "customer.preferences")
            if row.target == turned_off
        ]
    assert (change.actor, change.outcome) == ("customer:link", "ok")
    assert change.detail is not None and change.detail["preferences"]["channels_off"] == ["push"]


async def test_at_most_one_a_day_holds_the_reminder_past_its_expiry_and_the_audit_says_so(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    customer_id = unique("c")
    await put_customer(
        stack,
        customer_id,
        email=f"{customer_id}@example.com",
        consent={"email": True, "inapp": True},
        timezone=midday_timezone(),
    )
    answer = await stack.http.put(
        f"/v1/customers/{customer_id}/preferences", json={"max_per_day": 1}
    )
    assert answer.status_code == 200, answer.text
    # Earlier today another journey reached them: their one message of the day.
    now = datetime.now(UTC)
    async with stack.engine.begin() as conn:
        await record_decision(
            conn,
            MessageDecision(
                message_id=unique("m"),
                idempotency_key=unique("k"),
                customer_id=customer_id,
                journey="browse_abandonment",
                workflow_id=f"browse_abandonment:{customer_id}",
                step="reminder",
                trigger_event_id=unique("e"),
                channel=Channel.EMAIL,
                status=MessageStatus.SENT,
                reason="allowed",
                created_at=now - timedelta(minutes=30),
            ),
        )
    expires_at = (now + timedelta(hours=2)).replace(microsecond=0)
    coupon = {"coupon_id": unique("cp"), "offer_id": "WB_COUPON_10"}
    with temporal_env.with_time_skipping_disabled():
        await post_event(
            stack, customer_id, "coupon_issued", {**coupon, "expires_at": expires_at.isoformat()}
        )
    state = await run_to_end(temporal_env, journey(stack, "offer_expiry", customer_id))

    assert [(m.step, m.status) for m in state.messages] == [("reminder", "suppressed")]
    ledger = (await stack.http.get(f"/v1/customers/{customer_id}/messages")).json()["items"]
    [reminder] = [m for m in ledger if m["journey"] == "offer_expiry"]
    assert (reminder["reason"], reminder["rule"], reminder["blocked_by"]) == (
        "past_deliver_by",
        "daily_cap",
        "daily_cap",
    )
    assert reminder["rule_source"] == "customer"
    timeline = (await stack.http.get(f"/v1/customers/{customer_id}/timeline")).json()["items"]
    [decided] = [
        e
        for e in timeline
        if e["workflow_id"] == f"offer_expiry:{customer_id}" and e["kind"] == "message_decided"
    ]
    assert "past_deliver_by: daily_cap, customer's rule" in decided["summary"]
    assert decided["detail"]["blocked_by"] == "daily_cap"


async def test_bad_preferences_get_a_4xx_naming_the_field(stack: Stack) -> None:
    customer_id = unique("c")
    await put_customer(stack, customer_id, consent={"email": True}, timezone="Asia/Shanghai")
    url = f"/v1/customers/{customer_id}/preferences"

    cases = [
        ({"quiet_hours_start": "21:00"}, "quiet_hours_end"),
        ({"quiet_hours_start": "25:00", "quiet_hours_end": "08:00"}, "quiet_hours_start"),
        ({"quiet_hours_start": "21:00+08:00", "quiet_hours_end": "08:00"}, "quiet_hours_start"),
        ({"max_per_day": 0}, "max_per_day"),
        ({"channels_off": ["fax"]}, "channels_off.0"),
        ({"channels_off": [c.value for c in Channel]}, "channels_off"),
        ({"quiet_hours": "always"}, "quiet_hours"),
    ]
    for body, field in cases:
        answer = await stack.http.put(url, json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["detail"][0]["field"] == field, (body, answer.text)
    unknown = await stack.http.put("/v1/customers/nobody-here/preferences", json={})
    assert (unknown.status_code, unknown.json()["detail"][0]["field"]) == (404, "customer_id")
    async with browser(stack) as anonymous:
        assert (await anonymous.put(url, json={"max_per_day": 1})).status_code == 401
        assert (await anonymous.get(url)).status_code == 401
        form = await anonymous.post(
            f"{centre_link(stack, customer_id)}/preferences",
            data={"max_per_day": "lots", "channel": ["email"]},
        )
        assert (form.status_code, form.json()["detail"][0]["field"]) == (422, "max_per_day")
        forged = await anonymous.post("/v1/unsubscribe/not-a-token/preferences", data={})
        assert (forged.status_code, forged.json()["detail"][0]["field"]) == (400, "token")
    assert (await stack.http.get(url)).json() == {
        "quiet_hours_start": None,
        "quiet_hours_end": None,
        "max_per_day": None,
        "max_per_week": None,
        "channels_off": [],
    }  # nothing bad was stored
