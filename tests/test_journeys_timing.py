"""When and on which channel journeys write, end to end (API event to delivered message, with
time skipping): winback waits for the customer's active window (or the default one), a
still-browsing light-tier customer is won back on the light tier's channels and moves down to
medium in the same run, and an important cross-sell touch keeps 48 h from an important touch of
another journey."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from experiments.assignment import assign
from journeys.runs import JourneyState
from journeys.winback import WINBACK_HOLDOUT
from scoring.settings import ScoringSettings, SendTimeSettings
from tests.conftest import Stack, eventually, mail_settings, unique, worker_stack
from tests.journey_helpers import (
    action,
    journey,
    midday_timezone,
    post_event,
    prepared,
    put_customer,
    record_history,
    refresh_profiles,
    replay_and_keep,
    run_to_end,
)
from tests.smtp_server import SmtpSink

SECOND, HOUR, DAY = timedelta(seconds=1), timedelta(hours=1), timedelta(days=1)


def local_at(start: datetime, zone: str, days: int, hour: int) -> datetime:
    """`hour`:00 local time, `days` calendar days after the local day of `start`."""
    day = start.astimezone(ZoneInfo(zone)).date() + timedelta(days=days)
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(zone)).astimezone(UTC)


async def messages_once(handle: WorkflowHandle[Any, JourneyState], count: int) -> list[Any]:
    """The journey's decided messages, once there are `count` of them."""

    async def enough() -> list[Any] | None:
        state = await handle.query("state", result_type=JourneyState)
        return state.messages if len(state.messages) >= count else None

    messages = await eventually(enough)
    assert messages, f"fewer than {count} messages"
    return messages


def treated_customer_id() -> str:
    """A customer id outside winback's holdout (a stable hash of the id), so messages go out."""
    while assign(WINBACK_HOLDOUT, customer_id := unique("c")).in_holdout:
        pass
    return customer_id


def first_medium_day(entered: datetime, zone: str) -> int:
    """The day (after the entry) of the first medium-tier message after a restart late on day 3:
    day 4, unless both light messages (days 0 and 3) fall in day 4's local week, which fills the
    medium cap of 2 a week (one cap per customer and week, whatever the tier): then the window
    of next Monday, where the guardrails defer it to."""
    local_day = entered.astimezone(ZoneInfo(zone)).date()
    day_4 = local_day + 4 * DAY
    same_week = [(local_day + d * DAY).isocalendar()[:2] == day_4.isocalendar()[:2] for d in (0, 3)]
    return 4 if not all(same_week) else 4 + 7 - day_4.weekday()


@pytest.fixture
async def default_at_three(
    temporal_env: WorkflowEnvironment, sqlite_url: str, smtp: SmtpSink, tmp_path: Path
) -> AsyncIterator[Stack]:
    """The stack with the default send window at 15:00-17:00, apart from the 19:00-21:00 the
    active customer below shows, so the two are told apart."""
    scoring = ScoringSettings(
        send_time=SendTimeSettings(default_start_hour=15, default_end_hour=17)
    )
    settings = mail_settings(sqlite_url, tmp_path, smtp, scoring=scoring)
    async with worker_stack(temporal_env, settings) as stack:
        yield stack


async def test_winback_goes_out_in_the_customers_active_window_or_the_default_one(
    default_at_three: Stack, temporal_env: WorkflowEnvironment, smtp: SmtpSink
) -> None:
    stack = default_at_three
    zone = midday_timezone()  # about noon local now: both windows are later today

    async def dormant(evening_sessions: int) -> tuple[JourneyState, str, WorkflowHandle]:
        customer_id = treated_customer_id()
        email = f"{customer_id}@example.com"
        await put_customer(stack, customer_id, email=email, consent={"email": True}, timezone=zone)
        now = datetime.now(UTC)
        for n in range(evening_sessions):  # visits at 19:30 and 20:30 local on past days
            seen = local_at(now, zone, -2 - n // 2, 19 + n % 2) + 30 * 60 * SECOND
            await record_history(stack, customer_id, "page_viewed", {"page_type": "home"}, seen)
        accepted = await post_event(
            stack, customer_id, "customer_dormant", {"tier": "heavy", "reason": "price"}
        )
        assert action(accepted, "winback") == "started"
        handle = journey(stack, "winback", customer_id)
        await temporal_env.fast_forward(handle, 9 * HOUR)
        await messages_once(handle, 1)
        state = await handle.query("state", result_type=JourneyState)
        return state, email, handle

    with temporal_env.with_time_skipping_disabled():
        (
            (active, active_email, active_handle),
            (cold, cold_email, cold_handle),
        ) = await asyncio.gather(dormant(evening_sessions=6), dormant(evening_sessions=0))
    for state, hour, email in ((active, 19, active_email), (cold, 15, cold_email)):
        assert state.entered_at is not None
        [message] = state.messages
        assert (message.step, message.channel, message.status) == ("heavy_price", "email", "sent")
        expected = local_at(state.entered_at, zone, 0, hour)
        assert abs(message.created_at - expected) < 5 * SECOND, (message.created_at, expected)
        assert len(smtp.to(email)) == 1
    ledger = (await stack.http.get(f"/v1/customers/{active.customer_id}/messages")).json()["items"]
    assert sorted((m["status"], m["reason"]) for m in ledger) == [
        ("deferred", "outside_active_window"),
        ("sent", "delivered"),
    ]
    for handle in (active_handle, cold_handle):
        await handle.terminate("test over")


async def test_a_still_browsing_light_customer_is_won_back_and_moves_down_to_medium(
    stack: Stack, temporal_env: WorkflowEnvironment, smtp: SmtpSink
) -> None:
    customer_id, zone = treated_customer_id(), midday_timezone()
    email = f"{customer_id}@example.com"
    await put_customer(
        stack,
        customer_id,
        email=email,
        consent={"email": True, "inapp": True},
        timezone=zone,
    )
    now = datetime.now(UTC)
    for days in (200, 40):  # no order for 40 days...
        order = {"order_id": unique("o"), "total": 80.0}
        await record_history(stack, customer_id, "order_paid", order, now - days * DAY)
    for days in (2, 1):  # ...but still browsing
        await record_history(
            stack, customer_id, "page_viewed", {"page_type": "home"}, now - days * DAY
        )

    with temporal_env.with_time_skipping_disabled():
        # The backend's own scan says dormant, without a tier: the history makes it light.
        accepted = await post_event(stack, customer_id, "customer_dormant", {})
        assert action(accepted, "winback") == "started"
        handle = journey(stack, "winback", customer_id)
        await temporal_env.fast_forward(handle, 9 * HOUR)
        await messages_once(handle, 1)
        # A view is no return for someone who never stopped browsing: the light tier goes on.
        await post_event(stack, customer_id, "product_viewed", {"sku": "sku-1"})
        await temporal_env.fast_forward(handle, 3 * DAY)
        await messages_once(handle, 2)
        # The daily scan's entry into the medium tier (61 days without an order) reaches the
        # running journey, which carries on in that tier.
        deeper = await post_event(stack, customer_id, "customer_dormant", {"tier": "medium"})
        assert action(deeper, "winback") is not None
        entered = (await handle.query("state", result_type=JourneyState)).entered_at
        assert entered is not None
        medium_day = first_medium_day(entered, zone)
        await temporal_env.fast_forward(handle, (medium_day - 3) * DAY)
        await messages_once(handle, 3)
        paid = await post_event(stack, customer_id, "order_paid", {"order_id": unique("o")})
        assert action(paid, "winback") == "signalled"
        state = await handle.result()
    await replay_and_keep(handle, "winback_light_to_medium")

    assert state.status == "exited"
    assert state.entered_at is not None
    assert [m.step.split("_")[0] for m in state.messages] == ["light", "light", "medium"]
    # Light: in-app first (they are in the app); medium: push, WeChat, email — email here.
    assert [m.channel for m in state.messages] == ["inapp", "inapp", "email"]
    assert all(m.status == "sent" for m in state.messages)
    # Light cadence: every 3 days, at the active window (the default 19:00 local).
    # Medium: from its restart (after 21:00 on day 3), the next evening's window, or the first
    # one of next week when the light messages filled this week's medium cap.
    for message, day in zip(state.messages, (0, 3, medium_day), strict=True):
        expected = local_at(state.entered_at, zone, day, 19)
        assert abs(message.created_at - expected) < 5 * SECOND, (message.created_at, expected)
    assert len(smtp.to(email)) == 1
    tiers = [r.winback_tier for r in await prepared(handle)]
    assert tiers[0] == "light" and tiers[-1] == "medium"


async def test_an_important_cross_sell_keeps_48_hours_from_another_journeys_important_touch(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    zone = midday_timezone()
    reachable = {"consent": {"wechat": True, "inapp": True}, "wechat_openid": "wx-1"}

    async def top_spender() -> str:
        customer_id = unique("c")
        await put_customer(stack, customer_id, timezone=zone, **reachable)
        for days in (10, 5):
            order = {"order_id": unique("o"), "total": 500_000.0}
            await record_history(
                stack, customer_id, "order_paid", order, datetime.now(UTC) - days * DAY
            )
        return customer_id

    for _ in range(12):  # ordinary buyers: the two big spenders are the top 20 %
        await record_history(
            stack, unique("c"), "order_paid", {"order_id": unique("o"), "total": 50.0},
            datetime.now(UTC) - 30 * DAY,
        )  # fmt: skip
    reminded, control = await top_spender(), await top_spender()
    await refresh_profiles(stack, reminded, control)

    async def cross_sell(customer_id: str, coupon_first: bool) -> JourneyState:
        if coupon_first:  # an offer-expiry reminder, important, goes out at once
            expires_at = (datetime.now(UTC) + 3 * HOUR).replace(microsecond=0)
            coupon = {"coupon_id": unique("cp"), "offer_id": "WB_COUPON_10"}
            await post_event(
                stack,
                customer_id,
                "coupon_issued",
                {**coupon, "expires_at": expires_at.isoformat()},
            )
            reminder = await run_to_end(temporal_env, journey(stack, "offer_expiry", customer_id))
            assert [(m.status, m.channel) for m in reminder.messages] == [("sent", "inapp")]
        accepted = await post_event(stack, customer_id, "session_ended", {})
        assert action(accepted, "cross_sell") == "started"
        handle = journey(stack, "cross_sell", customer_id)
        state = await run_to_end(temporal_env, handle)
        await replay_and_keep(handle, f"cross_sell_{'gap' if coupon_first else 'no_gap'}")
        return state

    with temporal_env.with_time_skipping_disabled():
        gapped, free = await asyncio.gather(cross_sell(reminded, True), cross_sell(control, False))

    for state, days in ((free, 1), (gapped, 2)):
        assert state.entered_at is not None
        [message] = state.messages
        assert (message.step, message.channel, message.status) == ("bundles", "inapp", "sent")
        # 24 h after the session; the customer's active window (19:00 local by default); and for
        # the reminded customer not before 48 h after the reminder, so the next day's window.
        expected = local_at(state.entered_at, zone, days, 19)
        assert abs(message.created_at - expected) < 5 * SECOND, (message.created_at, expected)
    ledger = (await stack.http.get(f"/v1/customers/{reminded}/messages")).json()["items"]
    assert ("cross_sell", "deferred", "cross_sell_important_gap") in {
        (m["journey"], m["status"], m["rule"]) for m in ledger
    }
