"""Send throughput: messages decided and delivered per second by one worker process, against bare
one-activity workflows completed per second, side by side on one dev server.

Bare: N workflows, each running one activity that does nothing, started at once; the figure is N
over the time from the first start to the last completion. One send: N workflows, each running the
send step's `send_message` (workflows/sending.py: one `decide_and_deliver` activity) for a welcome
with the facts a journey brings, and nothing else: the send path on its own. Welcome: N welcome
journeys started the way the API starts them (signal-with-start of `signup`), whose first step sends
at once; the figure is N over the time from the first start to the N-th message settled in the
ledger: the journey around the send too (its entry and facts reads with the intent scored by the
XGBoost model, its visibility updates, its next timer). Each send is the real thing: the decision
(guardrails, ledger row), the welcome's picks step, the copy from templates, delivery to the dev
outbox and the ledger update. Without --picks no recommendation model is loaded and the picks step
finds none; with it, the shipped model is loaded and the demo catalog serves the live check from a
process of its own. Every side's worker runs its workflows as `journeyctl worker` does (unsandboxed)
and is the process's only worker, on its own task queue, with the same poller counts.
Figures on this shared machine drift from minute to minute, so the sides take turns, round after
round, each round starting with the next side, each side once the server is quiet (a side right
after another ran slower, on a server still busy with what that one left behind), and the ratio is
of the medians. Before each side's run the process freezes its heap, as a started worker does
(workers/main.py `settle_heap`). With --server-core the dev server runs on CPU 0 alone and this
process (its worker included) on the others, as on hosts of their own.

    .venv/bin/python -m bench.send_bench [--rounds 3] [--messages 600] [--database-url ...]
        [--server-core] [--picks]
"""

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker

from activities.sending import SendActivities
from bench.bare_workflows import BareOneActivity, bare_activity
from bench.harness import (
    SERVER_CORE_HELP,
    bench_settings,
    client_for,
    demo_catalog,
    dev_server,
    in_turn,
    keep_core_for_server,
    midday_timezone,
    quiet,
)
from bench.one_send import OneSend, welcome_request
from catalog import CatalogSettings
from journeys.welcome import WELCOME
from logging_setup import configure_logging
from models.customers import CustomerProfile
from models.events import Event, EventType
from models.messages import MessageStatus
from models.tables import MessageRow
from recommendations.tables import ensure_recommendations
from routing import start_journey
from scoring.model import IntentModel
from scoring.send_time import default_window
from scoring.settings import repo_path
from storage.customers import upsert_customer
from storage.database import create_engine, migrate, read_engine, session_factory
from workers.build import POLLERS, build_worker, worker_send_path, workflow_runner
from workers.main import settle_heap

SETTLED = (MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.SUPPRESSED)
BARE = "bare one-activity workflows completed"
ONE_SEND = "one-send workflows completed"
WELCOME_SENDS = "welcome messages decided and delivered"
SIDES = (BARE, ONE_SEND, WELCOME_SENDS)


async def start_all(starts: list, concurrency: int = 32) -> None:
    queue = asyncio.Queue()
    for start in starts:
        queue.put_nowait(start)

    async def drain() -> None:
        while not queue.empty():
            await queue.get_nowait()()

    await asyncio.gather(*(drain() for _ in range(concurrency)))


@contextlib.asynccontextmanager
async def side_worker(
    client: Client, task_queue: str, workflows: Sequence[type], activities: Sequence[Callable]
) -> AsyncIterator[None]:
    """A side's worker as `journeyctl worker` runs journeys (unsandboxed, the same pollers), the
    process's heap frozen once it polls, as a started worker's is (workers/main.py)."""
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=workflows,
        activities=activities,
        workflow_runner=workflow_runner(strict=False),
        max_concurrent_workflow_task_polls=POLLERS,
        max_concurrent_activity_task_polls=POLLERS,
    ):
        settle_heap()
        yield


async def bare(address: str, count: int) -> float:
    client = await client_for(address)
    queue = f"bench-bare-{uuid.uuid4().hex[:6]}"
    async with side_worker(client, queue, [BareOneActivity], [bare_activity]):
        began = time.perf_counter()
        handles = []

        async def start(n: int) -> None:
            handles.append(
                await client.start_workflow(
                    BareOneActivity.run, n, id=f"bare-{queue}-{n}", task_queue=queue
                )
            )

        await start_all([lambda n=n: start(n) for n in range(count)])
        for handle in handles:
            await handle.result()
        return count / (time.perf_counter() - began)


async def new_customers(
    sessions: async_sessionmaker[AsyncSession], prefix: str, count: int
) -> list[str]:
    """`count` customers who consented to in-app messages, where it is about noon."""
    now = datetime.now(UTC)
    zone = midday_timezone(now)
    customers = [f"send-{prefix}-{n}" for n in range(count)]
    async with sessions.begin() as session:
        for customer_id in customers:
            profile = CustomerProfile(
                timezone=zone, email=f"{customer_id}@example.com", consent={"inapp": True}
            )
            await upsert_customer(session, customer_id, profile, now)
    return customers


async def one_send(
    address: str, count: int, database_url: str, scratch: Path, **overrides: object
) -> float:
    """N `OneSend` workflows: the send path's activity, as the worker builds it, in a
    workflow of its own, run as the worker runs journeys; the figure is N over the time to the
    last one's completion."""
    settings = bench_settings(address, database_url, scratch, "bench-one-send", **overrides)
    configure_logging(settings)
    await migrate(settings.resolved_database_url)
    engine = create_engine(settings.resolved_database_url, settings.keyring())
    sessions = session_factory(engine)
    customers = await new_customers(sessions, uuid.uuid4().hex[:6], count)
    model = IntentModel.load(repo_path(settings.scoring.model_path))
    path = worker_send_path(settings, sessions, model)
    window = default_window(settings.scoring.send_time)
    client = await client_for(address)
    activities = [SendActivities(path).decide_and_deliver]
    async with side_worker(client, settings.task_queue, [OneSend], activities):
        began = time.perf_counter()
        handles = []

        async def start(customer_id: str) -> None:
            request = welcome_request(customer_id, datetime.now(UTC), window)
            handles.append(
                await client.start_workflow(
                    OneSend.run, request, id=request.workflow_id, task_queue=settings.task_queue
                )
            )

        await start_all([lambda c=c: start(c) for c in customers])
        statuses = [await handle.result() for handle in handles]
        rate = count / (time.perf_counter() - began)
    await engine.dispose()
    if unsent := sum(status != MessageStatus.SENT for status in statuses):
        print(f"  warning: {unsent} of {count} single sends were not sent")
    return rate


async def ours(
    address: str, count: int, database_url: str, scratch: Path, **overrides: object
) -> tuple[float, dict]:
    settings = bench_settings(address, database_url, scratch, "bench-send", **overrides)
    configure_logging(settings)
    await migrate(settings.resolved_database_url)
    engine = create_engine(settings.resolved_database_url, settings.keyring())
    reader = read_engine(engine)  # as workers/main.py
    sessions = session_factory(engine)
    prefix = uuid.uuid4().hex[:6]
    customers = await new_customers(sessions, prefix, count)

    async def settled() -> dict[str, int]:
        async with sessions() as session:
            rows = await session.execute(
                select(MessageRow.status, func.count())
                .where(MessageRow.customer_id.like(f"send-{prefix}-%"))
                .group_by(MessageRow.status)
            )
            return {status: n for status, n in rows.all()}

    client = await client_for(address)
    async with build_worker(client, settings, sessions, reads=session_factory(reader)):
        settle_heap()  # as a started worker does (workers/main.py)
        began = time.perf_counter()

        async def start(customer_id: str) -> None:
            event = Event(
                event_id=uuid.uuid4().hex,
                customer_id=customer_id,
                type=EventType.SIGNUP,
                occurred_at=datetime.now(UTC),
                properties={},
            )
            await start_journey(client, settings.task_queue, WELCOME, event)

        await start_all([lambda c=c: start(c) for c in customers])
        print(f"  started {count} welcome journeys in {time.perf_counter() - began:.1f} s")
        shown = time.perf_counter()
        while True:
            counts = await settled()
            done = sum(counts.get(status, 0) for status in SETTLED)
            if done >= count:
                break
            if time.perf_counter() - shown >= 2:
                print(f"  {done}/{count} messages settled", flush=True)
                shown = time.perf_counter()
            await asyncio.sleep(0.1)
        rate = count / (time.perf_counter() - began)
        for customer_id in customers:
            await client.get_workflow_handle(WELCOME.workflow_id(customer_id)).terminate("bench")
    await engine.dispose()
    await reader.dispose()
    return rate, counts


async def main(rounds: int, count: int, database_url: str, server_core: bool, picks: bool) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="bench-send-"))
    server_cpus = keep_core_for_server() if server_core else None
    rates: dict[str, list[float]] = {side: [] for side in SIDES}
    unsent = 0
    async with contextlib.AsyncExitStack() as stack:
        address, server = await stack.enter_async_context(dev_server(cpus=server_cpus))
        overrides: dict[str, object] = {}
        if picks:
            settings = bench_settings(address, database_url, scratch, "bench-send")
            await migrate(settings.resolved_database_url)
            await ensure_recommendations(settings)  # as `journeyctl up` does
            overrides["catalog"] = CatalogSettings(
                base_url=await stack.enter_async_context(demo_catalog())
            )
        print(
            f"send throughput, {count} workflows each side per round, {rounds} rounds, "
            "one worker process, one dev server; "
            + (
                "picks from the shipped model, checked against the demo catalog"
                if picks
                else "no recommendation model loaded (the picks step finds none)"
            )
        )
        for n in range(rounds):
            for side in in_turn(SIDES, n):
                await quiet(server.pid)  # each side on a quiet server
                if side == BARE:
                    rates[BARE].append(await bare(address, count))
                elif side == ONE_SEND:
                    rates[ONE_SEND].append(
                        await one_send(address, count, database_url, scratch, **overrides)
                    )
                else:
                    rate, counts = await ours(address, count, database_url, scratch, **overrides)
                    rates[WELCOME_SENDS].append(rate)
                    unsent += count - counts.get(MessageStatus.SENT, 0)
            print(
                f"  round {n + 1}: bare {rates[BARE][-1]:.1f} workflows/s, "
                f"one send {rates[ONE_SEND][-1]:.1f} workflows/s, "
                f"welcome {rates[WELCOME_SENDS][-1]:.1f} messages/s, ledger {counts}",
                flush=True,
            )
    bare_rate = statistics.median(rates[BARE])
    print(f"{'side (median of rounds)':<40} {'per s':>8} {'/ bare':>7}")
    for side, side_rates in rates.items():
        rate = statistics.median(side_rates)
        print(f"{side:<40} {rate:>8.1f} {rate / bare_rate:>7.2f}")
    print("goal: one send >= 0.80 of bare")
    if unsent:
        print(f"warning: {unsent} of {rounds * count} messages were not sent")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--messages", type=int, default=600, help="per side and round")
    parser.add_argument("--database-url", default="", help="default: a scratch SQLite file")
    parser.add_argument("--server-core", action="store_true", help=SERVER_CORE_HELP)
    parser.add_argument(
        "--picks",
        action="store_true",
        help="load the shipped recommendation model and serve the demo catalog (its own "
        "process), so each welcome carries picks checked live",
    )
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.messages, args.database_url, args.server_core, args.picks))
