"""The worker killed with SIGKILL at random points while 20 journeys send (decide and deliver
included), then restarted: every journey completes and each message reaches the customer once."""

import asyncio
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select
from temporalio.client import Client
from temporalio.testing import TimeSkipper

from journeys.runs import JourneyState
from models.tables import MessageRow
from settings import REPO_ROOT
from tests.conftest import DATA_CONVERTER, Stack, make_settings, unique
from tests.journey_helpers import cart, midday_timezone, post_event, put_customer
from tests.smtp_server import SmtpSink
from tests.test_server_restart import DevServer


async def ledger_rows(stack: Stack) -> int:
    async with stack.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(MessageRow)) or 0)


def start_worker(settings_env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "worker"],
        cwd=REPO_ROOT,
        env={**os.environ, **settings_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def test_journeys_complete_once_each_through_worker_kills(
    sqlite_url: str, smtp: SmtpSink, tmp_path: Path
) -> None:
    server = DevServer(tmp_path / "temporal.db")
    await server.start()
    client = await Client.connect(server.address, data_converter=DATA_CONVERTER)
    skipper = TimeSkipper(client)
    settings = make_settings(
        sqlite_url,
        tmp_path,
        temporal_address=server.address,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
    )
    worker_env = {
        "TEMPORAL_ADDRESS": server.address,
        "DATABASE_URL": sqlite_url,
        "TASK_QUEUE": settings.task_queue,
        "SMTP_HOST": smtp.host,
        "SMTP_PORT": str(smtp.port),
        "DATA_DIR": str(tmp_path),
        "LOG_LEVEL": "warning",
    }
    stack = Stack(settings, skipper.client)
    customers = [unique("c") for _ in range(20)]
    for customer_id in customers:
        await put_customer(
            stack,
            customer_id,
            email=f"{customer_id}@example.com",
            consent={"email": True},
            timezone=midday_timezone(),
        )
        await post_event(stack, customer_id, "cart_updated", cart())
    handles = [
        client.get_workflow_handle(f"cart_abandonment:{c}", result_type=JourneyState)
        for c in customers
    ]
    chaos = random.Random(7)
    kills = 0
    try:
        for _ in range(4):  # let it work, then SIGKILL at a random moment, four times over
            worker = start_worker(worker_env)
            before = await ledger_rows(stack)
            while await ledger_rows(stack) == before and worker.poll() is None:
                await asyncio.sleep(0.05)  # wait until it is deciding and delivering
            await asyncio.sleep(chaos.uniform(0.0, 1.0))
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
            kills += 1
        worker = start_worker(worker_env)
        states = await asyncio.wait_for(asyncio.gather(*(h.result() for h in handles)), 150)
    finally:
        worker.kill()
        worker.wait()
        server.kill()

    assert kills == 4
    for customer_id, state in zip(customers, states, strict=True):
        assert [(m.step, m.status) for m in state.messages] == [
            ("stage_1", "sent"),
            ("stage_2", "sent"),
            ("stage_3", "sent"),
        ], customer_id
        received = smtp.to(f"{customer_id}@example.com")
        for message in state.messages:
            copies = [m for m in received if message.message_id in m["Message-ID"]]
            # Never twice. Once, unless the kill cut an SMTP exchange short: SMTP has no
            # idempotency key, so that message is recorded delivery_unconfirmed, not resent.
            assert len(copies) <= 1, message.message_id
            if message.reason != "delivery_unconfirmed":
                assert len(copies) == 1, message.message_id
    await stack.close()
