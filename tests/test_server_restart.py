"""A Temporal dev server restarted (SQLite persistence) while journeys wait on timers and signals:
every journey resumes and finishes, every message is sent exactly once."""

import asyncio
import os
import signal
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import TimeSkipper

from bench.harness import start_dev_server
from journeys.runs import JourneyState
from tests.conftest import DATA_CONVERTER, Stack, make_settings, unique
from tests.journey_helpers import cart, midday_timezone, post_event, put_customer
from workers.build import build_worker


class DevServer:
    def __init__(self, db_file: Path) -> None:
        self.db_file = db_file
        self.port: int | None = None  # picked at the first start, kept by the restarts
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.process, self.port = await start_dev_server(self.db_file, self.port)

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DevServer]:
    server = DevServer(tmp_path / "temporal.db")
    yield server
    if server.process is not None and server.process.poll() is None:
        server.kill()


async def test_journeys_resume_after_the_server_is_killed_and_restarted(
    server: DevServer, sqlite_url: str, tmp_path: Path
) -> None:
    await server.start()
    client = await Client.connect(server.address, data_converter=DATA_CONVERTER)
    skipper = TimeSkipper(client)
    settings = make_settings(sqlite_url, tmp_path, temporal_address=server.address)
    stack = Stack(settings, skipper.client)
    customers = [unique("c") for _ in range(4)]
    async with build_worker(client, settings, stack.sessions):
        for customer_id in customers:
            await put_customer(
                stack,
                customer_id,
                email=f"{customer_id}@example.com",
                consent={"inapp": True, "email": True},
                timezone=midday_timezone(),
            )
            with skipper.with_time_skipping_disabled():
                await post_event(stack, customer_id, "cart_updated", cart())
        handles = [
            client.get_workflow_handle(f"cart_abandonment:{c}", result_type=JourneyState)
            for c in customers
        ]
        # Each journey sends stage 1 and then waits: on its 4 h timer, and for order_paid.
        await asyncio.gather(*(skipper.fast_forward(h, timedelta(hours=1)) for h in handles))

        server.kill()
        await server.start()

        paid = customers[0]
        await post_event(stack, paid, "order_paid", {"order_id": "o-1", "cart_id": "cart-1"})
        await asyncio.gather(*(skipper.fast_forward(h, None) for h in handles[1:]))
        states = await asyncio.wait_for(asyncio.gather(*(h.result() for h in handles)), 120)

    assert [m.step for m in states[0].messages] == ["stage_1"]
    assert states[0].status == "exited"
    for state in states[1:]:
        assert [(m.step, m.status) for m in state.messages] == [
            ("stage_1", "sent"),
            ("stage_2", "sent"),
            ("stage_3", "sent"),
        ]
    for customer_id in customers:
        outbox = (await stack.http.get(f"/v1/customers/{customer_id}/outbox")).json()["items"]
        expected = 1 if customer_id == paid else 3
        assert len(outbox) == expected == len({row["message_id"] for row in outbox})
    await stack.close()
