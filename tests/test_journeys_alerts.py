"""Price drop and low stock (hot: at once by push; others: at 19:00 local), post-support follow-up
(2 h after the close, with picks unless cold) and the offer-expiry reminder (exactly 4 h before
the coupon expires). Each with its exit on a paid order."""

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from temporalio.testing import WorkflowEnvironment

from journeys.runs import JourneyState
from tests.conftest import Stack, unique
from tests.journey_helpers import (
    action,
    full_cart,
    journey,
    midday_timezone,
    past_orders,
    post_event,
    prepared,
    put_customer,
    replay_and_keep,
    run_to_end,
)

SECOND, MINUTE, HOUR = timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1)
PRICE_DROP = {"sku": "sku-7", "old_price": 99.0, "new_price": 79.0}
REACHABLE = {
    "consent": {"inapp": True, "push": True, "wechat": True, "email": True},
    "push_token": "push-1",
    "wechat_openid": "wx-1",
}


async def customer(stack: Stack) -> tuple[str, str]:
    customer_id, zone = unique("c"), midday_timezone()
    await put_customer(
        stack, customer_id, timezone=zone, email=f"{customer_id}@example.com", **REACHABLE
    )
    return customer_id, zone


async def hot_customer(stack: Stack) -> tuple[str, str]:
    """Two recent orders and a full cart behind the event: hot (75)."""
    customer_id, zone = await customer(stack)
    await past_orders(stack, customer_id, 10, 5)
    await post_event(stack, customer_id, "cart_updated", full_cart())
    return customer_id, zone


def at_seven_pm(start: datetime, zone: str) -> datetime:
    local = start.astimezone(ZoneInfo(zone))
    evening = datetime.combine(local.date(), time(19), tzinfo=ZoneInfo(zone))
    return (evening if evening >= start else evening + timedelta(days=1)).astimezone(UTC)


def only_message(state: JourneyState) -> tuple[str, str | None, str, datetime]:
    [message] = state.messages
    return message.step, message.channel, message.status, message.created_at


async def test_price_drop_is_immediate_for_hot_intent_and_in_the_evening_otherwise(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    async def dropped(hot: bool) -> tuple[JourneyState, str]:
        customer_id, zone = await (hot_customer(stack) if hot else customer(stack))
        accepted = await post_event(stack, customer_id, "price_changed", PRICE_DROP)
        assert action(accepted, "price_drop") == "started"
        handle = journey(stack, "price_drop", customer_id)
        state = await run_to_end(temporal_env, handle)
        await replay_and_keep(handle, f"price_drop_{'hot' if hot else 'cold'}")
        return state, zone

    async def paid_before_the_evening() -> JourneyState:
        customer_id, _ = await customer(stack)
        await post_event(stack, customer_id, "price_changed", PRICE_DROP)
        handle = journey(stack, "price_drop", customer_id)
        await temporal_env.fast_forward(handle, HOUR)
        await post_event(stack, customer_id, "order_paid", {"order_id": unique("o")})
        state = await handle.result()
        await replay_and_keep(handle, "price_drop_paid")
        return state

    async def price_went_up() -> dict:
        customer_id, _ = await customer(stack)
        rise = {**PRICE_DROP, "new_price": 109.0}
        return await post_event(stack, customer_id, "price_changed", rise)

    with temporal_env.with_time_skipping_disabled():
        (hot, _), (cold, zone), paid, rise = await asyncio.gather(
            dropped(True), dropped(False), paid_before_the_evening(), price_went_up()
        )

    step, channel, status, at = only_message(hot)
    assert (hot.segment, step, channel, status) == ("hot", "notify_now", "push", "sent")
    assert hot.entered_at is not None and abs(at - hot.entered_at) < 5 * SECOND
    step, channel, status, at = only_message(cold)
    # The step lists WeChat before in-app, and the customer has both: WeChat, the step's order.
    assert (cold.segment, step, channel, status) == ("cold", "notify_evening", "wechat", "sent")
    assert cold.entered_at is not None
    assert abs(at - at_seven_pm(cold.entered_at, zone)) < 5 * SECOND
    assert (paid.status, paid.messages) == ("exited", [])
    assert action(rise, "price_drop") is None  # a price rise starts nothing


async def test_low_stock_notice_only_below_the_threshold(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    with temporal_env.with_time_skipping_disabled():
        customer_id, _ = await hot_customer(stack)
        plenty = await post_event(stack, customer_id, "stock_changed", {"sku": "s", "stock": 40})
        low = await post_event(stack, customer_id, "stock_changed", {"sku": "s", "stock": 3})
        handle = journey(stack, "low_stock", customer_id)
        state = await run_to_end(temporal_env, handle)

    assert (action(plenty, "low_stock"), action(low, "low_stock")) == (None, "started")
    assert only_message(state)[:3] == ("notify_now", "push", "sent")
    await replay_and_keep(handle, "low_stock_hot")


async def test_post_support_follow_up_two_hours_after_the_close(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    closed = {"ticket_id": "t-1", "topic": "size"}

    async def followed_up(warm: bool) -> JourneyState:
        customer_id, _ = await customer(stack)
        if warm:
            await past_orders(stack, customer_id, 10, 5)
        await post_event(stack, customer_id, "support_ticket_closed", closed)
        handle = journey(stack, "post_support", customer_id)
        state = await run_to_end(temporal_env, handle)
        await replay_and_keep(handle, f"post_support_{'warm' if warm else 'cold'}")
        return state

    async def paid_within_the_hour() -> JourneyState:
        customer_id, _ = await customer(stack)
        await post_event(stack, customer_id, "support_ticket_closed", closed)
        handle = journey(stack, "post_support", customer_id)
        await temporal_env.fast_forward(handle, HOUR)
        await post_event(stack, customer_id, "order_paid", {"order_id": unique("o")})
        return await handle.result()

    with temporal_env.with_time_skipping_disabled():
        warm, cold, paid = await asyncio.gather(
            followed_up(True), followed_up(False), paid_within_the_hour()
        )

    for state, step in ((warm, "guidance_and_picks"), (cold, "guidance")):
        sent_step, channel, status, at = only_message(state)
        assert (sent_step, status) == (step, "sent")
        assert state.entered_at is not None and abs(at - state.entered_at - 2 * HOUR) < MINUTE
    assert only_message(cold)[1] in ("email", "inapp")
    assert (paid.status, paid.messages) == ("exited", [])


async def test_offer_expiry_reminder_exactly_four_hours_before_expiry(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    async def issued(hot: bool, expires_in: timedelta) -> tuple[JourneyState, datetime, list]:
        customer_id, _ = await (hot_customer(stack) if hot else customer(stack))
        expires_at = (datetime.now(UTC) + expires_in).replace(microsecond=0)
        coupon = {"coupon_id": unique("cp"), "offer_id": "WB_COUPON_10"}
        await post_event(
            stack, customer_id, "coupon_issued", {**coupon, "expires_at": expires_at.isoformat()}
        )
        handle = journey(stack, "offer_expiry", customer_id)
        state = await run_to_end(temporal_env, handle)
        name = f"{'hot' if hot else 'cold'}_{'late' if expires_in < 4 * HOUR else 'in_time'}"
        await replay_and_keep(handle, f"offer_expiry_{name}")
        return state, expires_at, await prepared(handle)

    async def paid_before_the_reminder() -> JourneyState:
        customer_id, _ = await customer(stack)
        expires_at = datetime.now(UTC) + timedelta(days=2)
        coupon = {"coupon_id": "cp-1", "offer_id": "WB_COUPON_10"}
        await post_event(
            stack, customer_id, "coupon_issued", {**coupon, "expires_at": expires_at.isoformat()}
        )
        handle = journey(stack, "offer_expiry", customer_id)
        await temporal_env.fast_forward(handle, timedelta(days=1))
        await post_event(stack, customer_id, "order_paid", {"order_id": unique("o")})
        return await handle.result()

    two_days = timedelta(days=2, hours=2)  # the reminder then falls at about 10:00 local
    with temporal_env.with_time_skipping_disabled():
        (cold, cold_expiry, cold_asked), (hot, _, _), (late, _, _), paid = await asyncio.gather(
            issued(False, two_days),
            issued(True, two_days),
            issued(False, 2 * HOUR),  # already within 4 h: reminded at once
            paid_before_the_reminder(),
        )

    step, channel, status, at = only_message(cold)
    assert (step, channel, status) == ("reminder", "inapp", "sent")
    # The timer fires at the moment; the facts read just before the send take a moment more.
    assert abs(at - (cold_expiry - 4 * HOUR)) < 5 * SECOND
    [request] = cold_asked
    assert (request.offer_id, request.deliver_by) == ("WB_COUPON_10", cold_expiry)
    assert request.coupon_id is not None and request.step.importance == "important"
    assert only_message(hot)[:3] == ("push", "push", "sent")
    assert late.entered_at is not None
    assert abs(only_message(late)[3] - late.entered_at) < 5 * SECOND
    assert (paid.status, paid.messages) == ("exited", [])
