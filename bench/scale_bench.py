"""Scale: N journeys in flight, parked on durable timers, then woken together; side by side with
N bare workflows (a timer, then one activity) on the same dev server.

Each side runs its worker in a child process of its own, so its RSS is the worker's alone: ours
is `journeyctl worker` (the real worker, its workflow cache at the SDK's bound), bare is
`python -m bench.bare_workflows`. The journeys are the real interpreter and activities running
a bench definition under the draft workflow type (as `journeyctl simulate` runs drafts): wait
until the moment the trigger event names, send a welcome message in-app, end. Every run parks
until the same instant, set far enough ahead for all starts to land first, so the wake is one
herd. Reported: start rate, worker RSS peak while parked and while waking, server RSS, the time
from the wake to the last completion, completed runs against expected, and ledger rows (each
journey's message exactly once).

    .venv/bin/python -m bench.scale_bench [--journeys 10000] [--database-url ...]
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from temporalio.client import Client

from bench.bare_workflows import BareTimerThenActivity
from bench.harness import client_for, dev_server, midday_timezone, rss_mib
from bench.send_bench import start_all
from journeys.spec import End, JourneySpec, ReEntry, Send, WaitUntil
from models.channels import Channel
from models.customers import CustomerProfile
from models.events import Event, EventType
from models.tables import MessageRow
from routing import start_journey
from storage.customers import upsert_customer
from storage.database import create_engine, migrate, session_factory
from workflows.journey import DRAFT_WORKFLOW_TYPE

PARKED = JourneySpec(
    kind="scale_bench",
    workflow_type=DRAFT_WORKFLOW_TYPE,
    version=1,
    trigger=EventType.SIGNUP,
    reentry=ReEntry(allowed=True),
    steps=(
        WaitUntil(id="park", date="event.wake_at"),
        Send(id="wake", stage=1, template="welcome", channels=(Channel.INAPP,)),
        End(id="done"),
    ),
)
STARTS_PER_SECOND_ASSUMED = 80  # to set the wake far enough ahead; the real rate is printed


class Side:
    def __init__(self, name: str, worker: subprocess.Popen[bytes], server_pid: int) -> None:
        self.name = name
        self.worker = worker
        self.server_pid = server_pid
        self.figures: dict[str, float] = {}

    def rss(self) -> tuple[float, float]:
        return rss_mib(self.worker.pid), rss_mib(self.server_pid)


async def completed(client: Client, workflow_type: str, task_queue: str) -> int:
    query = (
        f"WorkflowType = '{workflow_type}' AND TaskQueue = '{task_queue}' "
        "AND ExecutionStatus = 'Completed'"
    )
    return (await client.count_workflows(query)).count


async def run_side(
    side: Side,
    count: int,
    start_one: Callable[[int, datetime], Awaitable[None]],
    done: Callable[[], Awaitable[int]],
) -> None:
    wake_at = datetime.now(UTC) + timedelta(seconds=30 + count / STARTS_PER_SECOND_ASSUMED)
    began = time.perf_counter()
    await start_all([lambda n=n: start_one(n, wake_at) for n in range(count)])
    started = time.perf_counter() - began
    side.figures["start_rate"] = count / started
    print(f"  {side.name}: {count} started in {started:.0f} s; parked until {wake_at:%H:%M:%S}")
    parked_peak, server_peak = 0.0, 0.0
    while datetime.now(UTC) < wake_at:
        worker_rss, server_rss = side.rss()
        parked_peak, server_peak = max(parked_peak, worker_rss), max(server_peak, server_rss)
        await asyncio.sleep(1)
    side.figures["rss_parked"] = parked_peak
    woke = time.perf_counter()
    waking_peak, shown, finished = 0.0, 0.0, 0
    progressed, last = time.perf_counter(), -1
    while True:
        worker_rss, server_rss = side.rss()
        waking_peak, server_peak = max(waking_peak, worker_rss), max(server_peak, server_rss)
        finished = await done()
        if finished >= count:
            break
        if finished != last:
            progressed, last = time.perf_counter(), finished
        elif time.perf_counter() - progressed > 120:
            print(f"  {side.name}: no progress for 2 minutes, at {finished} of {count}")
            break
        if time.perf_counter() - shown > 10:
            print(f"  {side.name}: {finished}/{count} completed, worker {worker_rss:.0f} MiB")
            shown = time.perf_counter()
        await asyncio.sleep(1)
    side.figures.update(
        rss_waking=waking_peak,
        rss_server=server_peak,
        wake_to_done=time.perf_counter() - woke,
        completed=finished,
    )


def child(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, env={**os.environ, **env}, stdout=subprocess.DEVNULL)


async def main(count: int, database_url: str) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    database_url = database_url or f"sqlite+aiosqlite:///{scratch / 'journeys.db'}"
    await migrate(database_url)
    async with dev_server() as (address, server):
        client = await client_for(address)
        print(f"scale: {count} parked workflows each side, one dev server (pid {server.pid})")

        queue = f"bench-bare-{uuid.uuid4().hex[:6]}"
        bare = Side(
            "bare",
            child([sys.executable, "-m", "bench.bare_workflows", address, queue], {}),
            server.pid,
        )

        async def start_bare(n: int, wake_at: datetime) -> None:
            await client.start_workflow(
                BareTimerThenActivity.run, wake_at, id=f"{queue}-{n}", task_queue=queue
            )

        await run_side(
            bare, count, start_bare, lambda: completed(client, "BareTimerThenActivity", queue)
        )
        bare.worker.terminate()
        bare.worker.wait(timeout=60)

        queue = f"bench-scale-{uuid.uuid4().hex[:6]}"
        engine = create_engine(database_url)
        sessions = session_factory(engine)
        prefix = uuid.uuid4().hex[:6]
        customers = [f"scale-{prefix}-{n}" for n in range(count)]
        now = datetime.now(UTC)
        profile = CustomerProfile(timezone=midday_timezone(now), consent={"inapp": True})
        for first in range(0, count, 1000):
            async with sessions.begin() as session:
                for customer_id in customers[first : first + 1000]:
                    await upsert_customer(session, customer_id, profile, now)
        worker_env = {
            "TEMPORAL_ADDRESS": address,
            "DATABASE_URL": database_url,
            "TASK_QUEUE": queue,
            "DATA_DIR": str(scratch),
            "LOG_LEVEL": "warning",
            "API_KEYS": json.dumps(["bench"]),
        }
        ours = Side(
            "ours",
            child([str(Path(sys.executable).parent / "journeyctl"), "worker"], worker_env),
            server.pid,
        )

        async def start_ours(n: int, wake_at: datetime) -> None:
            trigger = Event(
                event_id=uuid.uuid4().hex,
                customer_id=customers[n],
                type=EventType.SIGNUP,
                occurred_at=datetime.now(UTC),
                properties={"wake_at": wake_at.isoformat()},
            )
            await start_journey(client, queue, PARKED, trigger)

        await run_side(
            ours, count, start_ours, lambda: completed(client, DRAFT_WORKFLOW_TYPE, queue)
        )
        ours.worker.terminate()
        ours.worker.wait(timeout=60)
        async with sessions() as session:
            rows = await session.execute(
                select(
                    MessageRow.status,
                    func.count(),
                    func.count(MessageRow.idempotency_key.distinct()),
                )
                .where(MessageRow.customer_id.like(f"scale-{prefix}-%"))
                .group_by(MessageRow.status)
            )
            ledger = {status: (n, keys) for status, n, keys in rows.all()}
        await engine.dispose()

    print()
    print(f"{'':<34} {'bare':>10} {'ours':>10}")
    rows_out = [
        ("starts per second", "start_rate", "{:.0f}"),
        ("worker RSS parked, peak (MiB)", "rss_parked", "{:.0f}"),
        ("worker RSS waking, peak (MiB)", "rss_waking", "{:.0f}"),
        ("server RSS, peak (MiB)", "rss_server", "{:.0f}"),
        ("wake to last completion (s)", "wake_to_done", "{:.0f}"),
        ("completed", "completed", "{:.0f}"),
    ]
    for label, key, form in rows_out:
        print(
            f"{label:<34} {form.format(bare.figures[key]):>10} {form.format(ours.figures[key]):>10}"
        )
    print(f"expected {count} each side; ledger of ours (status: rows, distinct keys): {ledger}")
    ratio = bare.figures["wake_to_done"] / ours.figures["wake_to_done"]
    print(f"wake-to-done rate ours/bare: {ratio:.2f}")
    worst = max(ours.figures["rss_parked"], ours.figures["rss_waking"])
    print(f"worker RSS goal <= 1024 MiB: {'met' if worst <= 1024 else 'NOT met'} ({worst:.0f} MiB)")
    lost = count - int(ours.figures["completed"])
    print(f"journeys lost: {lost}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=10_000)
    parser.add_argument("--database-url", default="", help="default: a scratch SQLite file")
    args = parser.parse_args()
    asyncio.run(main(args.journeys, args.database_url))
