"""Starting journeys the way the API does, and running the ops CLI against the test server."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from typer.testing import CliRunner, Result

from cli.main import app
from journeys.cart_abandonment import CART_ABANDONMENT
from journeys.runs import JourneyInput
from models.events import Event, EventType
from models.search_attributes import CUSTOMER_ID, JOURNEY_KIND
from settings import Settings
from tests.journey_helpers import cart


async def start_cart_journey(
    client: Client,
    task_queue: str,
    customer_id: str,
    journey_kind: str,
    execution_timeout: timedelta | None = None,
) -> WorkflowHandle[Any, Any]:
    """Signal-with-start, as routing/ started journeys before it put the trigger in the
    input (such runs are still in flight, and ops must handle them), under a JourneyKind of the
    test's own, so `retry-failed --journey` finds this test's runs and no other test's."""
    event = Event(
        event_id=f"e-{uuid.uuid4().hex[:10]}",
        customer_id=customer_id,
        type=EventType.CART_UPDATED,
        occurred_at=datetime.now(UTC),
        properties=cart(),
    )
    return await client.start_workflow(
        CART_ABANDONMENT.workflow_type,
        JourneyInput(spec=CART_ABANDONMENT, customer_id=customer_id),
        id=CART_ABANDONMENT.workflow_id(customer_id),
        task_queue=task_queue,
        start_signal=event.type.value,
        start_signal_args=[event],
        execution_timeout=execution_timeout,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(CUSTOMER_ID, customer_id),
                SearchAttributePair(JOURNEY_KIND, journey_kind),
            ]
        ),
    )


def cli_env(client: Client, settings: Settings) -> dict[str, str]:
    return {
        "TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": client.namespace,
        "TASK_QUEUE": settings.task_queue,
        "DATABASE_URL": settings.resolved_database_url,
        "LOG_FORMAT": "json",
    }


async def journeyctl(env: dict[str, str], *args: str, input: str | None = None) -> Result:
    """Run the CLI in a thread: it starts its own event loop, while the test's loop keeps the
    worker running."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env, input=input)
