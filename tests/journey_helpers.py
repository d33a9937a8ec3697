"""Driving journeys through the real API in tests, and keeping their histories for replay."""

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.conftest import Stack, unique
from workflows.journey import JOURNEY_WORKFLOWS

HISTORIES = Path(__file__).parent / "histories"


async def put_customer(stack: Stack, customer_id: str, **profile: Any) -> dict[str, Any]:
    response = await stack.http.put(f"/v1/customers/{customer_id}", json=profile)
    assert response.status_code == 200, response.text
    return response.json()


async def post_event(
    stack: Stack,
    customer_id: str,
    type: str,
    properties: dict[str, Any],
    event_id: str | None = None,
) -> dict[str, Any]:
    body = {
        "event_id": event_id or unique("e"),
        "customer_id": customer_id,
        "type": type,
        "occurred_at": datetime.now(UTC).isoformat(),
        "properties": properties,
    }
    response = await stack.http.post("/v1/events", json=body)
    assert response.status_code == 202, response.text
    return response.json()


def cart(cart_id: str = "cart-1", total: float = 59.0) -> dict[str, Any]:
    return {
        "cart_id": cart_id,
        "items": [{"sku": "sku-1", "name": "Linen shirt", "price": total, "quantity": 1}],
        "total": total,
    }


async def replay_and_keep(handle: WorkflowHandle[Any, Any], name: str) -> None:
    """Replay the run against the current code; with UPDATE_HISTORIES=1 also keep it under tests."""
    history = await handle.fetch_history()
    await Replayer(
        workflows=list(JOURNEY_WORKFLOWS), data_converter=pydantic_data_converter
    ).replay_workflow(history)
    if os.environ.get("UPDATE_HISTORIES") == "1":
        HISTORIES.mkdir(exist_ok=True)
        (HISTORIES / f"{name}.json").write_text(history.to_json())
