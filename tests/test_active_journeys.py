"""An ending or awaited event is signalled only to the customer's journeys that may be running
(storage/active_journeys.py): exits still land, and absent journeys cost no Temporal call."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    SignalWorkflowInput,
    StartWorkflowInput,
    WorkflowHandle,
)
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from models.events import EventType
from models.tables import ActiveJourneyRow
from storage.active_journeys import START_GRACE, claim_restarts, forget_ended
from storage.database import alembic_config
from tests.conftest import DATA_CONVERTER, Stack, make_settings, unique
from tests.journey_helpers import cart, event_body, post_event


class CallCounter(Interceptor):
    """Counts the Temporal calls routing makes: starts (signal-with-start) and signals."""

    def __init__(self) -> None:
        self.starts: list[str] = []
        self.signals: list[str] = []

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        counter = self

        class Counting(OutboundInterceptor):
            async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
                counter.starts.append(input.id)
                return await super().start_workflow(input)

            async def signal_workflow(self, input: SignalWorkflowInput) -> None:
                counter.signals.append(input.id)
                await super().signal_workflow(input)

        return Counting(next)


def counted_stack(
    env: WorkflowEnvironment, database_url: str, tmp_path: Path
) -> tuple[Stack, CallCounter]:
    counter = CallCounter()
    client = Client(
        env.client.service_client,
        namespace=env.client.namespace,
        data_converter=DATA_CONVERTER,
        interceptors=[counter],
    )
    return Stack(make_settings(database_url, tmp_path), client), counter


def actions(answer: dict[str, Any]) -> dict[str, str]:
    return {journey["journey"]: journey["action"] for journey in answer["journeys"]}


async def rows(stack: Stack, customer_id: str) -> dict[str, str]:
    async with stack.sessions() as session:
        found = await session.scalars(
            select(ActiveJourneyRow).where(ActiveJourneyRow.customer_id == customer_id)
        )
        return {row.journey: row.last_start_event_id for row in found}


async def test_exits_reach_running_journeys_and_absent_ones_cost_no_call(
    temporal_env: WorkflowEnvironment, database_url: str, tmp_path: Path
) -> None:
    stack, calls = counted_stack(temporal_env, database_url, tmp_path)
    customer = unique("c")
    with temporal_env.with_time_skipping_disabled():
        first = await post_event(stack, customer, "cart_updated", cart())
        # Nothing ran for this customer: cart abandonment starts; browse abandonment and
        # winback, which a cart update would end, are not asked.
        assert actions(first)["cart_abandonment"] == "started"
        assert actions(first)["browse_abandonment"] == actions(first)["winback"] == "ignored"
        assert calls.starts == [f"cart_abandonment:{customer}"] and calls.signals == []
        assert set(await rows(stack, customer)) == {"cart_abandonment"}

        viewed = await post_event(stack, customer, "product_viewed", {"sku": "s-1"})
        assert actions(viewed)["browse_abandonment"] == "started"
        again = await post_event(stack, customer, "cart_updated", cart())
        # Now browse abandonment may run, so the cart update reaches it (and ends it).
        assert actions(again)["browse_abandonment"] == "signalled"
        assert f"browse_abandonment:{customer}" in calls.signals

        paid = {"order_id": unique("o"), "cart_id": "cart-1", "total": 59.0}
        answer = await post_event(stack, customer, "order_paid", paid)
        assert actions(answer)["cart_abandonment"] == "signalled"
    for kind in ("cart_abandonment", "browse_abandonment"):
        await temporal_env.client.get_workflow_handle(f"{kind}:{customer}").terminate("test over")
    await stack.close()


async def test_a_row_goes_only_after_a_signal_found_nothing_and_the_grace_passed(
    temporal_env: WorkflowEnvironment, database_url: str, tmp_path: Path
) -> None:
    stack, calls = counted_stack(temporal_env, database_url, tmp_path)
    old, fresh = unique("old"), unique("fresh")
    now = datetime.now(UTC)
    async with stack.sessions.begin() as session:
        for customer, age in ((old, timedelta(minutes=10)), (fresh, timedelta(minutes=1))):
            session.add(
                ActiveJourneyRow(
                    customer_id=customer,
                    journey="browse_abandonment",
                    last_start_event_id="e-earlier",
                    updated_at=now - age,
                )
            )
    with temporal_env.with_time_skipping_disabled():
        for customer in (old, fresh):
            answer = await post_event(stack, customer, "cart_updated", cart())
            assert actions(answer)["browse_abandonment"] == "ignored"
            assert f"browse_abandonment:{customer}" in calls.signals  # asked: it might have run
    # No run answered: the old row goes; the young one stays, a start may be on its way.
    assert "browse_abandonment" not in await rows(stack, old)
    assert (await rows(stack, fresh))["browse_abandonment"] == "e-earlier"
    for customer in (old, fresh):
        await temporal_env.client.get_workflow_handle(f"cart_abandonment:{customer}").terminate(
            "over"
        )
    await stack.close()


class StartsRefused(Interceptor):
    """The server refusing every start, as it does while it is down or overloaded."""

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        class Refusing(OutboundInterceptor):
            async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
                raise RPCError("server unavailable", RPCStatusCode.UNAVAILABLE, b"")

        return Refusing(next)


async def test_a_start_refused_by_temporal_keeps_its_claim_and_the_senders_retry_claims_again(
    temporal_env: WorkflowEnvironment, database_url: str, tmp_path: Path
) -> None:
    refusing = Client(
        temporal_env.client.service_client,
        namespace=temporal_env.client.namespace,
        data_converter=DATA_CONVERTER,
        interceptors=[StartsRefused()],
    )
    down = Stack(make_settings(database_url, tmp_path), refusing)
    customer = unique("c")
    raw = event_body(customer, "cart_updated", cart())
    response = await down.http.post("/v1/events", json=raw)
    assert response.status_code == 503
    # The claim was committed before the start was tried: a run that may exist has its row.
    assert await rows(down, customer) == {"cart_abandonment": raw["event_id"]}
    # While the sender waits, a signal finds no run and, the grace over, the row goes.
    later = datetime.now(UTC) + START_GRACE + timedelta(seconds=1)
    await forget_ended(down.sessions, customer, "cart_abandonment", raw["event_id"], later)
    assert await rows(down, customer) == {}

    up, _calls = counted_stack(temporal_env, database_url, tmp_path)
    with temporal_env.with_time_skipping_disabled():
        answer = (await up.http.post("/v1/events", json=raw)).json()
    # The stored, unrouted event is routed now, and claims its start again before it.
    assert answer["duplicate"] is False and actions(answer)["cart_abandonment"] == "started"
    assert await rows(up, customer) == {"cart_abandonment": raw["event_id"]}
    await temporal_env.client.get_workflow_handle(f"cart_abandonment:{customer}").terminate("over")
    for stack in (down, up):
        await stack.close()


async def test_the_migration_knows_the_journeys_already_in_flight(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'upgrade.db'}"
    config = alembic_config(url)
    # In a thread: Alembic's env runs an event loop of its own.
    await asyncio.to_thread(command.upgrade, config, "0005")
    engine = create_async_engine(url)
    now = datetime.now(UTC).isoformat()
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO journey_entries (run_id, customer_id, journey, workflow_id,"
                " trigger_event_id, entered_at) VALUES ('r1', 'c-entered', 'welcome',"
                " 'welcome:c-entered', 'e1', :now)"
            ),
            {"now": now},
        )
        for event_id, customer, kind in (
            ("e2", "c-carted", EventType.CART_UPDATED),
            ("e3", "c-paid", EventType.ORDER_PAID),
        ):
            await conn.execute(
                text(
                    "INSERT INTO events (event_id, customer_id, type, occurred_at, received_at,"
                    " properties) VALUES (:id, :customer, :type, :now, :now, '{}')"
                ),
                {"id": event_id, "customer": customer, "type": kind.value, "now": now},
            )
    await engine.dispose()
    await asyncio.to_thread(command.upgrade, config, "0006")
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        found = set(await conn.execute(text("SELECT customer_id, journey FROM active_journeys")))
    await engine.dispose()
    # Entered journeys, and journeys a trigger may have started; an order starts none.
    assert found == {("c-entered", "welcome"), ("c-carted", "cart_abandonment")}


async def test_operators_reviving_journeys_claim_them_first(
    database_url: str, tmp_path: Path
) -> None:
    stack = Stack(make_settings(database_url, tmp_path), None)
    customer = unique("c")
    now = datetime.now(UTC)
    # The failed run's row went long ago, after a signal found nothing.
    await claim_restarts(stack.sessions, [f"winback:{customer}"], now)
    assert await rows(stack, customer) == {"winback": f"ops:winback:{customer}"}
    # Claimed just now: a signal finding nothing before the revived run exists keeps it.
    read = f"ops:winback:{customer}"
    await forget_ended(stack.sessions, customer, "winback", read, now + timedelta(seconds=1))
    assert await rows(stack, customer) == {"winback": read}
    await stack.close()
