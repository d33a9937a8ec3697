"""Guardrails seen from a running journey: deferrals are durable timers, unsubscribes stop it."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from temporalio.testing import WorkflowEnvironment

from channels.link_tokens import LinkPurpose
from channels.setup import link_tokens
from journeys.runs import JourneyState
from tests.conftest import Stack, unique
from tests.journey_helpers import cart, midday_timezone, post_event, put_customer


def zone_where_it_is(hour: int) -> str:
    """An Etc/GMT zone whose local time is `hour`:xx right now (Etc/GMT-N is UTC+N)."""
    offset = (hour - datetime.now(UTC).hour + 12) % 24 - 12
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


async def test_a_send_due_in_quiet_hours_waits_for_the_local_morning(stack: Stack) -> None:
    zone = zone_where_it_is(22)  # stage 1 falls due at 22:30-23:30 local
    customer_id = unique("c")
    await put_customer(
        stack,
        customer_id,
        email=f"{customer_id}@example.com",
        consent={"email": True},
        timezone=zone,
    )
    await post_event(stack, customer_id, "cart_updated", cart())
    handle = stack.client.get_workflow_handle(
        f"cart_abandonment:{customer_id}", result_type=JourneyState
    )
    await handle.result()

    ledger = (await stack.http.get(f"/v1/customers/{customer_id}/messages")).json()["items"]
    stage_1 = sorted((m for m in ledger if m["step"] == "stage_1"), key=lambda m: m["created_at"])
    deferred, sent = stage_1
    assert (deferred["status"], deferred["rule"]) == ("deferred", "quiet_hours")
    morning = datetime.fromisoformat(deferred["deferred_until"]).astimezone(ZoneInfo(zone))
    assert (morning.hour, morning.minute) == (9, 0)
    assert sent["status"] == "sent"
    assert datetime.fromisoformat(sent["created_at"]) - morning < timedelta(minutes=1)
    assert {m["step"] for m in ledger if m["status"] == "sent"} == {"stage_1", "stage_2", "stage_3"}


async def test_unsubscribing_by_link_stops_the_journeys_next_sends(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    customer_id = unique("c")
    await put_customer(
        stack,
        customer_id,
        email=f"{customer_id}@example.com",
        consent={"email": True},
        timezone=midday_timezone(),
    )
    with temporal_env.with_time_skipping_disabled():
        await post_event(stack, customer_id, "cart_updated", cart())
    handle = stack.client.get_workflow_handle(
        f"cart_abandonment:{customer_id}", result_type=JourneyState
    )
    await temporal_env.fast_forward(handle, timedelta(hours=1))

    token = link_tokens(stack.settings).make(
        LinkPurpose.UNSUBSCRIBE, datetime.now(UTC) + timedelta(days=30), customer_id=customer_id
    )
    async with httpx.AsyncClient(transport=stack.http._transport, base_url="http://api") as mail:
        response = await mail.post(
            f"/v1/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}
        )
    assert response.status_code == 200
    await temporal_env.fast_forward(handle, None)
    state = await handle.result()

    assert [(m.step, m.status) for m in state.messages] == [
        ("stage_1", "sent"),
        ("stage_2", "suppressed"),
        ("stage_3", "suppressed"),
    ]
    assert {m.rule for m in state.messages[1:]} == {"consent"}
