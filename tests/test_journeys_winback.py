"""Winback: the lever follows the dormancy reason, the cadence the tier (heavy: one a week, light:
every 3 days), six messages at most over several continued-as-new runs; the customer's return
ends it; the holdout walks the journey and receives nothing while its would-be sends are
recorded."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.testing import WorkflowEnvironment

from experiments.assignment import assign
from journeys.runs import JourneyState, PrepareMessage
from journeys.winback import WINBACK_HOLDOUT
from tests.conftest import Stack, unique
from tests.journey_helpers import (
    action,
    journey,
    midday_timezone,
    post_event,
    prepared,
    put_customer,
    record_history,
    replay_and_keep,
    run_to_end,
)
from tests.smtp_server import SmtpSink

DAY = timedelta(days=1)
HEAVY_PRICE = {"tier": "heavy", "reason": "price"}


def customer_id_in_holdout(holdout: bool) -> str:
    """Assignment is a stable hash of the customer id: draw ids until one lands where asked."""
    while True:
        customer_id = unique("c")
        if assign(WINBACK_HOLDOUT, customer_id).in_holdout == holdout:
            return customer_id


async def dormant_customer(stack: Stack, holdout: bool = False) -> tuple[str, str]:
    customer_id = customer_id_in_holdout(holdout)
    email = f"{customer_id}@example.com"
    zone = midday_timezone()
    await put_customer(stack, customer_id, email=email, consent={"email": True}, timezone=zone)
    return customer_id, email


def gaps(state: JourneyState) -> list[timedelta]:
    times = [m.created_at for m in state.messages]
    return [later - earlier for earlier, later in zip(times, times[1:], strict=False)]


async def test_winback_cadence_follows_the_tier_the_lever_the_reason_and_the_holdout_gets_nothing(
    stack: Stack, temporal_env: WorkflowEnvironment, smtp: SmtpSink
) -> None:
    async def run(
        dormancy: dict[str, Any], last_seen_days_ago: int | None = None, holdout: bool = False
    ) -> tuple[JourneyState, str, list[PrepareMessage]]:
        customer_id, email = await dormant_customer(stack, holdout)
        if last_seen_days_ago is not None:
            seen = datetime.now(UTC) - last_seen_days_ago * DAY
            await record_history(stack, customer_id, "page_viewed", {"page_type": "home"}, seen)
        accepted = await post_event(stack, customer_id, "customer_dormant", dormancy)
        assert action(accepted, "winback") == "started"
        handle = journey(stack, "winback", customer_id)
        first_run = (await handle.describe()).run_id
        state = await run_to_end(temporal_env, handle)
        name = "holdout" if holdout else dormancy.get("tier", f"seen_{last_seen_days_ago}d_ago")
        await replay_and_keep(handle, f"winback_{name}_last_run")
        if (await handle.describe()).run_id != first_run:  # continued as new: keep both ends
            await replay_and_keep(
                stack.client.get_workflow_handle(handle.id, run_id=first_run),
                f"winback_{name}_first_run",
            )
        # The first run's sends (the last run may be the rest after the rounds, sending none).
        first = stack.client.get_workflow_handle(handle.id, run_id=first_run)
        return state, email, await prepared(first)

    with temporal_env.with_time_skipping_disabled():
        heavy_run, light_run, active_run, holdout_run = await asyncio.gather(
            run(HEAVY_PRICE),
            run({}, last_seen_days_ago=45),  # tier and reason computed: light, category
            run({}, last_seen_days_ago=3),  # still active: nothing to win back
            run(HEAVY_PRICE, holdout=True),
        )

    heavy, heavy_email, heavy_asked = heavy_run
    assert [m.step for m in heavy.messages] == [
        "heavy_price",
        *(f"heavy_price_{n}" for n in range(2, 7)),
    ]
    assert {(m.channel, m.status) for m in heavy.messages} == {("email", "sent")}
    assert len(smtp.to(heavy_email)) == 6
    # Heavy tier: at most one a week (the journey's own cadence; the guardrails cap it too).
    assert all(abs(gap - 7 * DAY) < timedelta(minutes=1) for gap in gaps(heavy)), gaps(heavy)
    assert heavy.runs == 3  # continued as new twice, the messages carried along
    assert {(r.winback_tier, r.winback_reason, r.guardrail_kind) for r in heavy_asked} == {
        ("heavy", "price", "winback")
    }
    assert {r.step.template for r in heavy_asked} == {"winback.price"}

    light = light_run[0]
    assert [m.step for m in light.messages][:2] == ["light_category", "light_category_2"]
    assert len(light.messages) == 6
    assert all(abs(gap - 3 * DAY) < timedelta(minutes=1) for gap in gaps(light)), gaps(light)

    active = active_run[0]
    assert (active.status, active.messages) == ("completed", [])

    held, held_email, held_asked = holdout_run
    assert held.holdout is True
    assert len(held.messages) == 6  # every would-be send was decided and recorded...
    assert {(m.status, m.reason, m.channel) for m in held.messages} == {
        ("suppressed", "holdout", "email")
    }
    assert smtp.to(held_email) == []  # ...and none was delivered
    ledger = (await stack.http.get(f"/v1/customers/{held.customer_id}/messages")).json()["items"]
    # The first would-be send waited for the active window, as a real one would have.
    assert sorted(m["status"] for m in ledger) == ["deferred"] + ["suppressed"] * 6
    assert held_asked and all(r.holdout for r in held_asked)
    assert {r.experiment_id for r in held_asked} == {"winback_holdout_v1"}


async def test_winback_ends_when_the_customer_returns_after_continuing_as_new(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    with temporal_env.with_time_skipping_disabled():
        customer_id, _ = await dormant_customer(stack)
        await post_event(stack, customer_id, "customer_dormant", HEAVY_PRICE)
        handle = journey(stack, "winback", customer_id)
        # Past the first continue-as-new (in the fourth week): the signal reaches the new run.
        await temporal_env.fast_forward(handle, 22 * DAY)
        back = await post_event(stack, customer_id, "product_viewed", {"sku": "sku-1"})
        assert action(back, "winback") == "signalled"
        state = await handle.result()

    assert (state.status, state.step, state.runs) == ("completed", "completed", 2)
    assert [m.step for m in state.messages] == [
        "heavy_price",
        "heavy_price_2",
        "heavy_price_3",
        "heavy_price_4",
    ]
    await replay_and_keep(handle, "winback_returned")
