"""The cart-abandonment journey end to end: API → Temporal → activities → SQLite + SMTP."""

from datetime import timedelta
from typing import Any

from temporalio.api.enums.v1 import EventType as HistoryEventType
from temporalio.testing import WorkflowEnvironment

from journeys.runs import JourneyInput, JourneyState
from ops.time_travel import fast_forward
from tests.conftest import DATA_CONVERTER, Stack, unique
from tests.journey_helpers import cart, midday_timezone, post_event, put_customer, replay_and_keep
from tests.smtp_server import SmtpSink

MINUTE = timedelta(minutes=1)


def offsets(state: JourneyState, start) -> list[timedelta]:
    return [message.created_at - start for message in state.messages]


def cart_actions(accepted: dict[str, Any]) -> list[str]:
    """What an event did to the cart journey (it also reaches others, e.g. winback)."""
    return [j["action"] for j in accepted["journeys"] if j["journey"] == "cart_abandonment"]


def close_to(actual: list[timedelta], expected: list[timedelta]) -> bool:
    return len(actual) == len(expected) and all(
        abs(a - e) < MINUTE for a, e in zip(actual, expected, strict=True)
    )


async def email_customer(stack: Stack) -> tuple[str, str]:
    customer_id = unique("c")
    email = f"{customer_id}@example.com"
    await put_customer(
        stack, customer_id, email=email, consent={"email": True}, timezone=midday_timezone()
    )
    return customer_id, email


async def test_unpaid_cart_gets_three_messages_at_30m_4h_24h(stack: Stack, smtp: SmtpSink) -> None:
    customer_id, email = await email_customer(stack)
    accepted = await post_event(stack, customer_id, "cart_updated", cart())
    workflow_id = f"cart_abandonment:{customer_id}"
    assert {
        "journey": "cart_abandonment",
        "workflow_id": workflow_id,
        "action": "started",
    } in accepted["journeys"]
    handle = stack.client.get_workflow_handle(workflow_id, result_type=JourneyState)
    state = await handle.result()
    start = (await handle.describe()).start_time

    assert state.status == "completed"
    assert [m.step for m in state.messages] == ["stage_1", "stage_2", "stage_3"]
    assert close_to(offsets(state, start), [30 * MINUTE, timedelta(hours=4), timedelta(hours=24)])
    assert {(m.status, m.channel, m.reason) for m in state.messages} == {
        ("sent", "email", "delivered")
    }
    received = smtp.to(email)
    assert [m["Subject"] for m in received] == [m.content.title for m in state.messages]
    assert all(m.message_id in received[i]["Message-ID"] for i, m in enumerate(state.messages))

    ledger = (await stack.http.get(f"/v1/customers/{customer_id}/messages")).json()["items"]
    assert [m["step"] for m in ledger] == ["stage_3", "stage_2", "stage_1"]
    assert {m["status"] for m in ledger} == {"sent"}
    await replay_and_keep(handle, "cart_abandonment_v2_unpaid")


async def test_payment_at_2h_ends_the_journey_after_one_message(
    stack: Stack, temporal_env: WorkflowEnvironment, smtp: SmtpSink
) -> None:
    customer_id, email = await email_customer(stack)
    with temporal_env.with_time_skipping_disabled():
        await post_event(stack, customer_id, "cart_updated", cart())
    handle = stack.client.get_workflow_handle(
        f"cart_abandonment:{customer_id}", result_type=JourneyState
    )
    await temporal_env.fast_forward(handle, timedelta(hours=2))

    paid = await post_event(
        stack, customer_id, "order_paid", {"order_id": "o-1", "cart_id": "cart-1"}
    )
    assert cart_actions(paid) == ["signalled"]
    state = await handle.result()

    assert state.status == "exited"
    assert [m.step for m in state.messages] == ["stage_1"]
    assert len(smtp.to(email)) == 1
    await replay_and_keep(handle, "cart_abandonment_v2_paid_at_2h")


async def test_cart_update_at_3h_restarts_the_clock_in_the_same_journey(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    customer_id, _ = await email_customer(stack)
    with temporal_env.with_time_skipping_disabled():
        await post_event(stack, customer_id, "cart_updated", cart())
    handle = stack.client.get_workflow_handle(
        f"cart_abandonment:{customer_id}", result_type=JourneyState
    )
    first_run = (await handle.describe()).run_id
    await temporal_env.fast_forward(handle, timedelta(hours=3))

    again = await post_event(stack, customer_id, "cart_updated", cart(total=89.0))
    assert cart_actions(again) == ["signalled"]
    await temporal_env.fast_forward(handle, None)
    state = await handle.result()
    description = await handle.describe()

    assert description.run_id == first_run
    assert [m.step for m in state.messages] == ["stage_1", "stage_1", "stage_2", "stage_3"]
    hours = timedelta(hours=1)
    expected = [30 * MINUTE, 3 * hours + 30 * MINUTE, 7 * hours, 27 * hours]
    assert close_to(offsets(state, description.start_time), expected)
    await replay_and_keep(handle, "cart_abandonment_v2_restarted_at_3h")


async def test_the_same_event_twice_has_one_effect(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    customer_id, _ = await email_customer(stack)
    with temporal_env.with_time_skipping_disabled():
        first = await post_event(
            stack, customer_id, "cart_updated", cart(), event_id="dup-1" + customer_id
        )
        second = await post_event(
            stack, customer_id, "cart_updated", cart(), event_id="dup-1" + customer_id
        )

    assert first["duplicate"] is False and second["duplicate"] is True
    assert second["journeys"] == first["journeys"]
    handle = stack.client.get_workflow_handle(
        f"cart_abandonment:{customer_id}", result_type=JourneyState
    )
    events = [event async for event in handle.fetch_history_events()]
    started = events[0].workflow_execution_started_event_attributes
    (journey_input,) = await DATA_CONVERTER.decode(started.input.payloads, [JourneyInput])
    signals = [
        event
        for event in events
        if event.event_type == HistoryEventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    ]
    # The event reached the journey once: as the trigger in its start, never as a signal.
    assert journey_input.trigger.event_id == "dup-1" + customer_id and signals == []
    await handle.terminate("test done")


async def test_a_delivery_that_fails_after_sending_is_not_sent_twice(
    stack: Stack, smtp: SmtpSink
) -> None:
    customer_id, email = await email_customer(stack)
    smtp.stall_once.add(email)  # stage 1's mail is stored, then the client times out
    await post_event(stack, customer_id, "cart_updated", cart())
    handle = stack.client.get_workflow_handle(
        f"cart_abandonment:{customer_id}", result_type=JourneyState
    )
    state = await handle.result()

    assert len(smtp.to(email)) == 3
    assert [(m.step, m.status, m.reason) for m in state.messages] == [
        ("stage_1", "sent", "delivery_unconfirmed"),
        ("stage_2", "sent", "delivered"),
        ("stage_3", "sent", "delivered"),
    ]
    attempts = [
        event.activity_task_started_event_attributes.attempt
        async for event in handle.fetch_history_events()
        if event.event_type == HistoryEventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]
    assert max(attempts) == 2  # the delivery was retried once
    ledger = (await stack.http.get(f"/v1/customers/{customer_id}/messages")).json()["items"]
    assert len(ledger) == 3


async def test_fast_forward_moves_a_live_journey_to_its_next_sends(
    stack: Stack, temporal_env: WorkflowEnvironment
) -> None:
    customer_id, _ = await email_customer(stack)
    with temporal_env.with_time_skipping_disabled():
        await post_event(stack, customer_id, "cart_updated", cart())
    workflow_id = f"cart_abandonment:{customer_id}"

    await fast_forward(stack.client, workflow_id, timedelta(hours=4, minutes=5))

    journey = (await stack.http.get(f"/v1/journeys/{workflow_id}")).json()
    assert journey["status"] == "running"
    assert journey["step"] == "wait_24h"
    assert [m["step"] for m in journey["messages"]] == ["stage_1", "stage_2"]
    await stack.client.get_workflow_handle(workflow_id).terminate("test done")
