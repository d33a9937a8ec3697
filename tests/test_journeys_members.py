"""Store reminder (the day before the usual store-visit day, in the customer's active window from
10:00 local, high-value members only) and high-value cross-sell (RFM top 20 %, 24 h after a
session, in the active window: bundles, or early access for cold intent; a paid order ends it)."""

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from temporalio.testing import WorkflowEnvironment

from journeys.runs import JourneyState
from tests.conftest import Stack, unique
from tests.journey_helpers import (
    action,
    journey,
    midday_timezone,
    post_event,
    put_customer,
    record_history,
    refresh_profiles,
    replay_and_keep,
    run_to_end,
)

SECOND, DAY = timedelta(seconds=1), timedelta(days=1)
REACHABLE = {"consent": {"wechat": True, "inapp": True}, "wechat_openid": "wx-1"}


async def member(stack: Stack, **attributes: object) -> tuple[str, str]:
    customer_id, zone = unique("c"), midday_timezone()
    await put_customer(stack, customer_id, timezone=zone, attributes=attributes, **REACHABLE)
    return customer_id, zone


async def spent(stack: Stack, customer_id: str, total: float, *days_ago: int) -> None:
    now = datetime.now(UTC)
    for days in days_ago:
        order = {"order_id": unique("o"), "total": total}
        await record_history(stack, customer_id, "order_paid", order, now - days * DAY)


async def test_store_reminder_the_day_before_the_usual_visit_day_in_the_active_window(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    now = datetime.now(UTC)
    habit = now - 3 * DAY  # the usual visit day is the weekday three days back

    async def visited(tier: str | None, past_visits: int) -> tuple[JourneyState, str]:
        customer_id, zone = await (member(stack, member_tier=tier) if tier else member(stack))
        for week in range(past_visits):
            visit = {"store_id": "s-1"}
            await record_history(stack, customer_id, "store_visit", visit, habit - week * 7 * DAY)
        accepted = await post_event(stack, customer_id, "store_visit", {"store_id": "s-1"})
        assert action(accepted, "store_reminder") == "started"
        handle = journey(stack, "store_reminder", customer_id)
        state = await run_to_end(temporal_env, handle)
        await replay_and_keep(handle, f"store_reminder_{tier or 'not_member'}_{past_visits}")
        return state, zone

    with temporal_env.with_time_skipping_disabled():
        (gold, zone), (newcomer, _), (not_member, _) = await asyncio.gather(
            visited("gold", past_visits=3),
            visited("gold", past_visits=0),  # no habit yet: no usual day to aim at
            visited(None, past_visits=3),
        )

    [reminder] = gold.messages
    assert (reminder.step, reminder.status) == ("reminder", "sent")
    assert reminder.channel in ("wechat", "inapp")
    local_today = now.astimezone(ZoneInfo(zone)).date()
    usual_day = habit.astimezone(ZoneInfo(zone)).weekday()
    next_visit = next(
        local_today + n * DAY for n in range(2, 9) if (local_today + n * DAY).weekday() == usual_day
    )
    # From 10:00 local, the default active window (19:00) the same day: within the 12 h.
    expected = datetime.combine(next_visit - DAY, time(19), tzinfo=ZoneInfo(zone))
    assert abs(reminder.created_at - expected) < 5 * SECOND
    assert (newcomer.status, newcomer.messages) == ("completed", [])
    assert (not_member.status, not_member.messages) == ("completed", [])


async def test_cross_sell_for_top_spenders_a_day_after_their_session(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    async def session_ended(total: float | None, *days_ago: int) -> JourneyState:
        customer_id, _ = await member(stack)
        if total is not None:
            await spent(stack, customer_id, total, *days_ago)
        await refresh_profiles(stack, customer_id)  # the RFM cell, from the hourly batch
        accepted = await post_event(stack, customer_id, "session_ended", {})
        assert action(accepted, "cross_sell") == "started"
        handle = journey(stack, "cross_sell", customer_id)
        state = await run_to_end(temporal_env, handle)
        await replay_and_keep(handle, f"cross_sell_{state.segment}_{len(state.messages)}")
        return state

    async def paid_before_the_day_was_over() -> JourneyState:
        customer_id, _ = await member(stack)
        await spent(stack, customer_id, 2_000_000.0, 200)
        await refresh_profiles(stack, customer_id)
        await post_event(stack, customer_id, "session_ended", {})
        handle = journey(stack, "cross_sell", customer_id)
        await temporal_env.fast_forward(handle, 12 * timedelta(hours=1))
        await post_event(stack, customer_id, "order_paid", {"order_id": unique("o")})
        return await handle.result()

    # Twelve ordinary buyers besides: the three big spenders below are then the top 20 %.
    for _ in range(12):
        await spent(stack, unique("c"), 50.0, 30)
    with temporal_env.with_time_skipping_disabled():
        warm_top, cold_top, not_top, paid = await asyncio.gather(
            session_ended(500_000.0, 10, 5),  # two recent big orders: warm, top spender
            session_ended(1_000_000.0, 200),  # one old big order: cold, still a top spender
            session_ended(None),  # never bought: not in the top 20 %
            paid_before_the_day_was_over(),
        )

    for state, step in ((warm_top, "bundles"), (cold_top, "early_access")):
        [message] = state.messages
        assert (message.step, message.status) == (step, "sent")
        assert state.entered_at is not None
        # 24 h after the session (about noon local), then the default window at 19:00 local.
        zone = ZoneInfo(midday_timezone(state.entered_at))
        next_day = state.entered_at.astimezone(zone).date() + DAY
        expected = datetime.combine(next_day, time(19), tzinfo=zone)
        assert abs(message.created_at - expected) < 5 * SECOND
    assert (warm_top.segment, cold_top.segment) == ("warm", "cold")
    assert (not_top.status, not_top.messages) == ("completed", [])
    assert (paid.status, paid.messages) == ("exited", [])
