"""Browse abandonment (a reminder 1 h after a view, quieter for cold intent, none after a cart)
and cart abandonment's SMS rule (SMS at 24 h, and only for hot intent)."""

import asyncio
from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from journeys.runs import JourneyState
from tests.conftest import Stack, unique
from tests.journey_helpers import (
    action,
    cart,
    full_cart,
    journey,
    midday_timezone,
    past_orders,
    post_event,
    put_customer,
    replay_and_keep,
    run_to_end,
)

MINUTE = timedelta(minutes=1)
VIEW = {"sku": "sku-7", "category": "shirts", "price": 59.0}


async def customer(stack: Stack, **profile: object) -> str:
    customer_id = unique("c")
    await put_customer(stack, customer_id, timezone=midday_timezone(), **profile)
    return customer_id


def offsets(state: JourneyState) -> list[timedelta]:
    assert state.entered_at is not None
    return [m.created_at - state.entered_at for m in state.messages]


async def test_browse_reminder_after_an_hour_quieter_when_cold_and_none_after_a_cart(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    reachable = {"consent": {"inapp": True, "wechat": True}, "wechat_openid": "wx-1"}

    async def viewed(warm: bool) -> JourneyState:
        customer_id = await customer(stack, **reachable)
        if warm:
            await past_orders(stack, customer_id, 10, 5)
        accepted = await post_event(stack, customer_id, "product_viewed", VIEW)
        assert action(accepted, "browse_abandonment") == "started"
        handle = journey(stack, "browse_abandonment", customer_id)
        state = await run_to_end(temporal_env, handle)
        await replay_and_keep(handle, f"browse_abandonment_{'warm' if warm else 'cold'}")
        return state

    async def carted_after_30_minutes() -> JourneyState:
        customer_id = await customer(stack, **reachable)
        await post_event(stack, customer_id, "product_viewed", VIEW)
        handle = journey(stack, "browse_abandonment", customer_id)
        await temporal_env.fast_forward(handle, 30 * MINUTE)
        accepted = await post_event(stack, customer_id, "cart_updated", cart())
        assert action(accepted, "browse_abandonment") == "signalled"
        state = await handle.result()
        await replay_and_keep(handle, "browse_abandonment_carted")
        return state

    with temporal_env.with_time_skipping_disabled():
        warm, cold, carted = await asyncio.gather(
            viewed(True), viewed(False), carted_after_30_minutes()
        )

    assert (warm.segment, [m.step for m in warm.messages]) == ("warm", ["reminder"])
    assert (cold.segment, [m.step for m in cold.messages]) == ("cold", ["quiet_reminder"])
    for state in (warm, cold):
        assert abs(offsets(state)[0] - timedelta(hours=1)) < MINUTE
        assert state.messages[0].status == "sent"
    assert warm.messages[0].channel in ("inapp", "wechat")
    assert cold.messages[0].channel == "inapp"
    assert (carted.status, carted.messages) == ("exited", [])


async def test_sms_only_for_hot_intent_and_only_at_24_hours(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    sms_only = {"phone": "+8613800000000", "consent": {"sms": True}}

    async def abandoned(hot: bool) -> JourneyState:
        customer_id = await customer(stack, **sms_only)
        await past_orders(stack, customer_id, 10, 5)
        # Three items make this repeat buyer hot (75); one item leaves them warm (65).
        await post_event(stack, customer_id, "cart_updated", full_cart() if hot else cart())
        handle = journey(stack, "cart_abandonment", customer_id)
        state = await run_to_end(temporal_env, handle)
        await replay_and_keep(handle, f"cart_abandonment_sms_{'hot' if hot else 'warm'}")
        return state

    with temporal_env.with_time_skipping_disabled():
        hot, warm = await asyncio.gather(abandoned(True), abandoned(False))

    assert [m.step for m in hot.messages] == ["stage_1", "stage_2", "stage_3"]
    # Stages 1 and 2 allow no SMS at all; at 24 h SMS goes to the hot customer only.
    assert [(m.channel, m.status) for m in hot.messages] == [
        (None, "suppressed"),
        (None, "suppressed"),
        ("sms", "sent"),
    ]
    assert abs(offsets(hot)[2] - timedelta(hours=24)) < MINUTE
    assert hot.segment == "hot"
    assert [(m.channel, m.status, m.reason) for m in warm.messages][2] == (
        None,
        "suppressed",
        "no_reachable_channel",
    )
    assert warm.segment == "warm"
