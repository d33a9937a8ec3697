"""Driving journeys through the real API in tests, and keeping their histories for replay."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from bench.harness import midday_timezone as midday_timezone  # the tests take it from here
from journeys.runs import JourneyState, PrepareMessage
from models.events import Event, EventType, validate_properties
from ops.history_export import decode_history
from profiles.batch import refresh_rfm_edges
from profiles.clv import shipped_model
from profiles.refresh import refresh_customers
from profiles.tags import TAGS
from storage.events import store_event
from storage.profiles import current_config
from tests.conftest import DATA_CONVERTER, Stack, unique
from workflows.journey import JourneyWorkflow
from workflows.sending import DECISION_ACTIVITIES

# Runs of the current interpreter version (tests/test_replay.py keeps the older ones).
HISTORIES = Path(__file__).parent / "histories" / "v4"


async def put_customer(stack: Stack, customer_id: str, **profile: Any) -> dict[str, Any]:
    response = await stack.http.put(f"/v1/customers/{customer_id}", json=profile)
    assert response.status_code == 200, response.text
    return response.json()


def event_body(
    customer_id: str,
    type: str,
    properties: dict[str, Any],
    event_id: str | None = None,
    occurred_at: datetime | None = None,
) -> dict[str, Any]:
    """What a backend posts to `POST /v1/events`: a new event id and now, unless given."""
    return {
        "event_id": event_id or unique("e"),
        "customer_id": customer_id,
        "type": type,
        "occurred_at": (occurred_at or datetime.now(UTC)).isoformat(),
        "properties": properties,
    }


async def post_event(
    stack: Stack,
    customer_id: str,
    type: str,
    properties: dict[str, Any],
    event_id: str | None = None,
    occurred_at: datetime | None = None,
) -> dict[str, Any]:
    body = event_body(customer_id, type, properties, event_id, occurred_at)
    response = await stack.http.post("/v1/events", json=body)
    assert response.status_code == 202, response.text
    return response.json()


def action(accepted: dict[str, Any], journey: str) -> str | None:
    """What an accepted event did to one journey: started, signalled, ignored (None: nothing)."""
    return next((j["action"] for j in accepted["journeys"] if j["journey"] == journey), None)


def cart(cart_id: str = "cart-1", total: float = 59.0) -> dict[str, Any]:
    return {
        "cart_id": cart_id,
        "items": [{"sku": "sku-1", "name": "Linen shirt", "price": total, "quantity": 1}],
        "total": total,
    }


async def record_history(
    stack: Stack, customer_id: str, type: str, properties: dict[str, Any], occurred_at: datetime
) -> None:
    """Put a past event straight into the event store: the customer's history, which the facts
    read, without routing it to journeys as the API would."""
    event = Event(
        event_id=unique("h"),
        customer_id=customer_id,
        type=EventType(type),
        occurred_at=occurred_at,
        properties=properties,
    )
    assert not validate_properties(event)
    await store_event(stack.sessions, event, datetime.now(UTC))


async def past_orders(stack: Stack, customer_id: str, *days_ago: int, total: float = 80.0) -> None:
    """Paid orders some days back: two within the month make a stranger warm (score 45)."""
    now = datetime.now(UTC)
    for days in days_ago:
        properties = {"order_id": unique("o"), "total": total}
        await record_history(stack, customer_id, "order_paid", properties, now - timedelta(days))


def full_cart(cart_id: str = "cart-1") -> dict[str, Any]:
    """Three items: with two recent orders behind it, a hot customer (score 75)."""
    items = [{"sku": f"sku-{n}", "name": f"Item {n}", "price": 30.0, "quantity": 1} for n in "123"]
    return {"cart_id": cart_id, "items": items, "total": 90.0}


async def abandon_a_cart(stack: Stack, item: str, **profile: Any) -> tuple[str, JourneyState]:
    """A new customer with `profile` leaves one `item` in a cart; their cart journey, run to its
    end (time skipping on)."""
    customer_id = unique("c")
    await put_customer(stack, customer_id, timezone=midday_timezone(), **profile)
    cart = {
        "cart_id": unique("cart"),
        "items": [{"sku": unique("sku"), "name": item, "price": 59.0, "quantity": 1}],
        "total": 59.0,
    }
    await post_event(stack, customer_id, "cart_updated", cart)
    handle = journey(stack, "cart_abandonment", customer_id)
    return customer_id, await handle.result()


def journey(stack: Stack, kind: str, customer_id: str) -> WorkflowHandle[Any, JourneyState]:
    return stack.client.get_workflow_handle(f"{kind}:{customer_id}", result_type=JourneyState)


async def run_to_end(
    env: WorkflowEnvironment, handle: WorkflowHandle[Any, JourneyState]
) -> JourneyState:
    """Let the journey's clock run free (every timer fires at once) until it ends, through
    continue-as-new too.

    Tests that run journeys concurrently start them all with time skipping off (the switch is
    one for the whole client) and free each clock here, or move it by a bounded fast-forward.
    """
    while (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
        try:
            await env.fast_forward(handle, None)
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:  # NOT_FOUND: it ended a moment earlier
                raise
    return await handle.result()


async def prepared(handle: WorkflowHandle[Any, Any]) -> list[PrepareMessage]:
    """Every send the journey asked the decision path for (this run), read from its history."""
    requests = []
    async for event in handle.fetch_history_events():
        attributes = event.activity_task_scheduled_event_attributes
        if attributes.activity_type.name in DECISION_ACTIVITIES:
            payload = attributes.input.payloads[0]
            requests.extend(await DATA_CONVERTER.decode([payload], [PrepareMessage]))
    return requests


async def replay_and_keep(handle: WorkflowHandle[Any, Any], name: str) -> None:
    """Replay the run against the current code; with UPDATE_HISTORIES=1 also keep it under tests."""
    history = await handle.fetch_history()
    await Replayer(workflows=[JourneyWorkflow], data_converter=DATA_CONVERTER).replay_workflow(
        history
    )
    if os.environ.get("UPDATE_HISTORIES") == "1":
        HISTORIES.mkdir(parents=True, exist_ok=True)
        # Decoded: the corpus replays without keys, as histories exported from production do.
        decoded = await decode_history(history, DATA_CONVERTER.payload_codec)
        (HISTORIES / f"{name}.json").write_text(decoded.to_json())


async def refresh_profiles(stack: Stack, *customer_ids: str) -> None:
    """What the hourly batch does, for these customers only: the RFM edges over every buyer,
    then their tags (RFM top 20 % among them)."""
    now = datetime.now(UTC)
    await refresh_rfm_edges(stack.sessions, now)
    async with stack.sessions.begin() as session:
        config = await current_config(session)
        causes = dict.fromkeys(customer_ids, "test")
        await refresh_customers(
            session, customer_ids, causes, TAGS, "on_change", config, shipped_model(), now
        )
