"""Editing a journey never touches runs in flight; re-entry rules; the journey view of a run."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

import journeys.registry
from journeys.entry import enter_journey
from journeys.post_support import POST_SUPPORT
from journeys.runs import EntryRequest
from journeys.spec import JourneySpec, ReEntry
from storage.database import create_engine, session_factory
from tests.conftest import Stack, unique
from tests.journey_helpers import (
    journey,
    midday_timezone,
    post_event,
    put_customer,
    replay_and_keep,
    run_to_end,
)

HOUR = timedelta(hours=1)
CLOSED = {"topic": "delivery"}


def edited_post_support() -> JourneySpec:
    """Version 2: wait 5 h instead of 2 and send the guidance to everyone, by email only."""
    definition = POST_SUPPORT.model_dump()
    definition["version"] = 2
    definition["steps"] = [
        {"kind": "wait", "id": "wait_5h", "after": "PT5H"},
        {
            "kind": "send",
            "id": "guidance_v2",
            "stage": 1,
            "template": "post_support",
            "channels": ["email"],
        },
    ]
    return JourneySpec.model_validate(definition)


async def test_a_journey_edited_while_a_run_is_in_flight(
    stack: Stack, temporal_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def customer() -> str:
        customer_id = unique("c")
        email = f"{customer_id}@example.com"
        consent = {"email": True, "inapp": True}
        await put_customer(
            stack, customer_id, email=email, consent=consent, timezone=midday_timezone()
        )
        return customer_id

    with temporal_env.with_time_skipping_disabled():
        before = await customer()
        await post_event(stack, before, "support_ticket_closed", CLOSED)
        in_flight = journey(stack, "post_support", before)
        await temporal_env.fast_forward(in_flight, HOUR)  # waiting, 1 h into its 2 h

        edited = edited_post_support()
        monkeypatch.setattr(
            journeys.registry,
            "JOURNEYS",
            tuple(edited if j.kind == "post_support" else j for j in journeys.registry.JOURNEYS),
        )
        after = await customer()
        await post_event(stack, after, "support_ticket_closed", CLOSED)
        started_later = journey(stack, "post_support", after)

        old, new = await asyncio.gather(
            run_to_end(temporal_env, in_flight), run_to_end(temporal_env, started_later)
        )

    assert (old.version, [m.step for m in old.messages]) == (1, ["guidance"])
    assert old.entered_at is not None
    assert abs(old.messages[0].created_at - old.entered_at - 2 * HOUR) < timedelta(minutes=1)
    assert (new.version, [m.step for m in new.messages]) == (2, ["guidance_v2"])
    assert new.entered_at is not None
    assert abs(new.messages[0].created_at - new.entered_at - 5 * HOUR) < timedelta(minutes=1)
    assert new.messages[0].channel == "email"
    await replay_and_keep(started_later, "post_support_edited_v2")

    view = (await stack.http.get(f"/v1/journeys/post_support:{before}")).json()
    assert (view["status"], view["outcome"], view["version"], view["journey"]) == (
        "completed",
        "completed",
        1,
        "post_support",
    )
    assert [m["step"] for m in view["messages"]] == ["guidance"]


async def test_re_entry_rules_on_both_databases(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    customer_id, start = unique("c"), datetime.now(UTC)

    def entry(run: str, at: datetime, rule: ReEntry) -> EntryRequest:
        return EntryRequest(
            customer_id=customer_id,
            journey="browse_abandonment",
            workflow_id=f"browse_abandonment:{customer_id}",
            run_id=f"{customer_id}-{run}",
            trigger_event_id=unique("e"),
            entered_at=at,
            reentry=rule,
        )

    daily = ReEntry(after=timedelta(days=1))
    try:
        first = await enter_journey(sessions, entry("1", start, daily))
        retried = await enter_journey(sessions, entry("1", start, daily))
        too_soon = await enter_journey(sessions, entry("2", start + 20 * HOUR, daily))
        next_day = await enter_journey(sessions, entry("3", start + 25 * HOUR, daily))
        never = await enter_journey(
            sessions, entry("4", start + 90 * 24 * HOUR, ReEntry(allowed=False))
        )
    finally:
        await engine.dispose()

    assert [(d.allowed, d.reason) for d in (first, retried, too_soon, next_day, never)] == [
        (True, "first_entry"),
        (True, "recorded"),
        (False, "reentry_too_soon"),
        (True, "reentry_allowed"),
        (False, "already_entered"),
    ]
    assert next_day.previous_entry_at == start


async def test_an_operator_ends_a_journey_with_an_update(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    customer_id = unique("c")
    await put_customer(stack, customer_id, consent={"inapp": True}, timezone=midday_timezone())
    with temporal_env.with_time_skipping_disabled():
        await post_event(stack, customer_id, "support_ticket_closed", CLOSED)
        handle = journey(stack, "post_support", customer_id)
        await temporal_env.fast_forward(handle, HOUR)

        no_reason = await stack.http.post(f"/v1/journeys/{handle.id}/end", json={})
        ended = await stack.http.post(
            f"/v1/journeys/{handle.id}/end", json={"reason": "customer complained"}
        )
        state = await handle.result()
        again = await stack.http.post(f"/v1/journeys/{handle.id}/end", json={"reason": "again"})

    assert no_reason.status_code == 422
    assert no_reason.json()["detail"][0]["field"] == "reason"
    assert ended.status_code == 202, ended.text
    assert (state.status, state.ended_reason, state.messages) == (
        "ended",
        "customer complained",
        [],
    )
    assert again.status_code == 409
    await replay_and_keep(handle, "post_support_ended_by_update")
