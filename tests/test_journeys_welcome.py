"""Welcome: the cadence follows intent (warm: days 0/1/3/5, cold: days 0/2/6; after day 0 in the
customer's active window, 19:00 local by default); each step's channel order is kept (the day-1
email goes by email); a paid order ends it; a customer is welcomed once."""

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
    past_orders,
    post_event,
    put_customer,
    replay_and_keep,
    run_to_end,
)

SECOND = timedelta(seconds=1)


async def customer(stack: Stack) -> tuple[str, str]:
    customer_id, zone = unique("c"), midday_timezone()
    await put_customer(
        stack,
        customer_id,
        email=f"{customer_id}@example.com",
        consent={"email": True, "inapp": True},
        timezone=zone,
    )
    return customer_id, zone


def in_window(start: datetime, zone: str, days: int) -> datetime:
    """19:00 local time (the default active window's start), `days` calendar days after the
    local day of `start`."""
    local_day = start.astimezone(ZoneInfo(zone)).date() + timedelta(days=days)
    return datetime.combine(local_day, time(19), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def sent_at(state: JourneyState) -> list[tuple[str, datetime]]:
    return [(m.step, m.created_at) for m in state.messages]


def close(actual: list[tuple[str, datetime]], expected: list[tuple[str, datetime]]) -> bool:
    return [s for s, _ in actual] == [s for s, _ in expected] and all(
        abs(a - e) < 5 * SECOND for (_, a), (_, e) in zip(actual, expected, strict=True)
    )


async def test_welcome_cadence_differs_for_cold_and_warm_and_payment_ends_it(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    async def run_through(warm: bool) -> tuple[JourneyState, str]:
        customer_id, zone = await customer(stack)
        if warm:
            await past_orders(stack, customer_id, 10, 5)
        accepted = await post_event(stack, customer_id, "signup", {})
        assert action(accepted, "welcome") == "started"
        handle = journey(stack, "welcome", customer_id)
        state = await run_to_end(temporal_env, handle)
        await replay_and_keep(handle, f"welcome_{'warm' if warm else 'cold'}")
        return state, zone

    async def paid_on_day_2() -> JourneyState:
        customer_id, _ = await customer(stack)
        await past_orders(stack, customer_id, 10, 5)
        await post_event(stack, customer_id, "signup", {})
        handle = journey(stack, "welcome", customer_id)
        await temporal_env.fast_forward(handle, timedelta(days=2))
        paid = await post_event(stack, customer_id, "order_paid", {"order_id": unique("o")})
        assert action(paid, "welcome") == "signalled"
        state = await handle.result()
        await replay_and_keep(handle, "welcome_paid_on_day_2")
        return state

    with temporal_env.with_time_skipping_disabled():
        (warm, warm_zone), (cold, cold_zone), paid = await asyncio.gather(
            run_through(warm=True), run_through(warm=False), paid_on_day_2()
        )

    assert (warm.status, warm.segment, cold.status, cold.segment) == (
        "completed",
        "warm",
        "completed",
        "cold",
    )
    start = warm.entered_at
    assert start is not None
    assert close(
        sent_at(warm),
        [
            ("welcome", start),
            ("curated_picks", in_window(start, warm_zone, 1)),
            ("price_and_stock_news", in_window(start, warm_zone, 3)),
            ("popular_bundles", in_window(start, warm_zone, 5)),
        ],
    )
    start = cold.entered_at
    assert start is not None
    assert close(
        sent_at(cold),
        [
            ("welcome", start),
            ("value_proposition", in_window(start, cold_zone, 2)),
            ("wish_list_prompt", in_window(start, cold_zone, 6)),
        ],
    )
    # Every message went out, on the first channel its step lists that the customer can be
    # reached on (email before in-app for the day-1 and day-2 emails); never SMS.
    assert all(message.status == "sent" for message in warm.messages + cold.messages)
    assert [m.channel for m in warm.messages] == ["inapp", "email", "inapp", "inapp"]
    assert [m.channel for m in cold.messages] == ["inapp", "email", "inapp"]

    assert paid.status == "exited"
    assert [m.step for m in paid.messages] == ["welcome", "curated_picks"]


async def test_a_customer_is_welcomed_once(stack: Stack) -> None:
    customer_id, _ = await customer(stack)
    await post_event(stack, customer_id, "signup", {})
    first = await journey(stack, "welcome", customer_id).result()

    await post_event(stack, customer_id, "signup", {})
    second = await journey(stack, "welcome", customer_id).result()

    assert (first.status, len(first.messages)) == ("completed", 3)
    assert (second.status, second.ended_reason, second.messages) == (
        "not_eligible",
        "already_entered",
        [],
    )
    view = (await stack.http.get(f"/v1/journeys/welcome:{customer_id}")).json()
    assert (view["status"], view["outcome"], view["ended_reason"]) == (
        "completed",
        "not_eligible",
        "already_entered",
    )
