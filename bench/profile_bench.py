"""The profile: core-tag latency from `POST /v1/events` to the tag readable in the API, and the
daily scan's throughput against bare starts.

Latency is open loop: events (an order of 650 for a new customer, which gives the tag
`high_order_value`) are posted at a fixed rate to the API in its own process, while a worker in
its own process (`journeyctl worker`, whose updater drains the queue) runs beside it; each
customer's profile is polled until the tag shows. The rates are fractions of the API's
saturation rate for the same events, measured first in the same run (closed loop); p50/p99.

Throughput: N customers whose last order was 35 days ago; the daily scan (the ProfileScan
workflow on a worker of this process) recomputes them all (customers/s) and starts winback for
each (starts/s, bounded by --starts-per-second); against bare: as many signal-with-starts, as
many in flight, with the same search attributes, on the same dev server. Neither side's
journeys run (no worker polls their queue). Shared 2-core machine: figures are ratios to the
baseline measured in the same run.

    .venv/bin/python -m bench.profile_bench [--fractions 0.25,0.5] [--seconds 20]
        [--customers 2000]
        [--database-url postgresql+asyncpg://...]
"""

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.worker import Worker

from activities.profile import ProfileActivities
from bench.harness import api_process, bench_settings, client_for, dev_server, percentiles
from journeys.cross_sell import EARLY_ACCESS
from journeys.runs import JourneyInput
from logging_setup import configure_logging
from models.events import Event, EventType
from models.search_attributes import CUSTOMER_ID, JOURNEY_KIND
from models.tables import ProfileQueueRow
from profiles.segment_starts import CONCURRENT_STARTS, SegmentStarter
from settings import Settings
from storage.database import create_engine, migrate, session_factory
from storage.events import store_event
from workflows.profile_scan import ProfileScanWorkflow, ScanInput


async def tag_latency(http, sessions, rate: float, seconds: float) -> None:
    """Post at a fixed rate; each event's own task then reads the customer's profile every
    250 ms until the tag shows (the figures are that coarse). Prints the latencies, the posts'
    own latency and the longest the queue grew, which tell where a wait comes from."""
    latencies: list[float] = []
    posts: list[float] = []
    longest_queue = 0
    done = asyncio.Event()

    async def one(n: int) -> None:
        customer_id = f"lat-{uuid.uuid4().hex[:10]}"
        started = time.perf_counter()
        response = await _retried(
            http.post,
            "/v1/events",
            json={
                "event_id": uuid.uuid4().hex,
                "customer_id": customer_id,
                "type": "order_paid",
                "occurred_at": datetime.now(UTC).isoformat(),
                "properties": {"order_id": f"o-{n}", "total": 650.0},
            },
        )
        assert response.status_code == 202, response.text
        posts.append((time.perf_counter() - started) * 1000)
        while time.perf_counter() - started < 300:
            response = await _retried(http.get, f"/v1/customers/{customer_id}/profile")
            if response.status_code == 200 and any(
                tag["tag"] == "high_order_value" for tag in response.json()["tags"]
            ):
                latencies.append((time.perf_counter() - started) * 1000)
                return
            await asyncio.sleep(0.25)

    async def watch_queue() -> None:
        nonlocal longest_queue
        while not done.is_set():
            async with sessions() as session:
                waiting = await session.scalar(select(func.count()).select_from(ProfileQueueRow))
            longest_queue = max(longest_queue, waiting or 0)
            await asyncio.sleep(0.5)

    watcher = asyncio.create_task(watch_queue())
    tasks = []
    began = time.perf_counter()
    for n in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, began + n / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(one(n)))
    await asyncio.gather(*tasks)
    done.set()
    await watcher
    p50, p99 = percentiles(latencies)
    post50, post99 = percentiles(posts)
    print(
        f"core tag latency at {rate:g} events/s ({len(latencies)} events): p50 {p50:.0f} ms, "
        f"p99 {p99:.0f} ms (goal p99 <= 5000 ms); POST p50 {post50:.0f} / p99 {post99:.0f} ms; "
        f"queue at most {longest_queue}",
        flush=True,
    )


async def _retried(call, *args, **kwargs):
    """One more try when a kept-alive connection was closed under us (the same event id: the
    API answers a repeat as a duplicate)."""
    try:
        return await call(*args, **kwargs)
    except httpx.TransportError:
        return await call(*args, **kwargs)


async def saturation(http, seconds: float, callers: int = 32) -> float:
    """Closed loop: the events per second `POST /v1/events` takes with nobody reading."""
    deadline, count = time.perf_counter() + seconds, 0

    async def caller() -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            response = await http.post(
                "/v1/events",
                json={
                    "event_id": uuid.uuid4().hex,
                    "customer_id": f"sat-{uuid.uuid4().hex[:10]}",
                    "type": "order_paid",
                    "occurred_at": datetime.now(UTC).isoformat(),
                    "properties": {"order_id": "o", "total": 650.0},
                },
            )
            assert response.status_code == 202, response.text
            count += 1

    began = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(callers)))
    return count / (time.perf_counter() - began)


@contextlib.asynccontextmanager
async def worker_process(settings: Settings) -> AsyncIterator[None]:
    """`journeyctl worker` in a process of its own, as deployed: the updater runs in it."""
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": settings.temporal_address,
        "DATABASE_URL": settings.resolved_database_url,
        "TASK_QUEUE": settings.task_queue,
        "DATA_DIR": str(settings.data_dir),
        "LOG_LEVEL": settings.log_level,
    }
    journeyctl = Path(sys.executable).parent / "journeyctl"
    process = subprocess.Popen(
        [str(journeyctl), "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=60)


async def main(
    fractions: list[float], seconds: float, customers: int, starts: float, database_url: str
) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    async with dev_server() as (address, _server):
        settings = bench_settings(
            address, database_url, scratch, "bench-profile", api_keys=["bench-key"]
        )
        configure_logging(settings)
        await migrate(settings.resolved_database_url)
        engine = create_engine(settings.resolved_database_url)
        sessions = session_factory(engine)
        client = await client_for(address)
        async with worker_process(settings), api_process(settings) as (http, _pid):
            saturated = await saturation(http, seconds)
            print(
                f"POST /v1/events saturates at {saturated:.0f} events/s (closed loop, 32 callers)"
            )
            await asyncio.sleep(10)  # the updater catches up with the saturation run's events
            for fraction in fractions:
                print(f"at {fraction:.0%} of saturation:", end=" ")
                await tag_latency(http, sessions, round(saturated * fraction, 1), seconds)

        now = datetime.now(UTC)
        for n in range(customers):
            event = Event(
                event_id=f"scan-{n}", customer_id=f"scan-{n:06d}", type=EventType.ORDER_PAID,
                occurred_at=now - timedelta(days=35), properties={"order_id": f"o{n}", "total": 40},
            )  # fmt: skip
            await store_event(sessions, event, now)
        # The scan on a worker of its own; the journeys it starts go to a queue no worker
        # polls, as bare's do: both sides measure starting, not running, the journeys.
        journeys_queue = f"{settings.task_queue}-journeys"
        activities = ProfileActivities(sessions, SegmentStarter(sessions, client, journeys_queue))
        scan_worker = Worker(
            client,
            task_queue=settings.task_queue,
            workflows=[ProfileScanWorkflow],
            activities=[
                activities.refresh_rfm_edges,
                activities.refresh_profile_page,
                activities.start_segment_entries,
            ],
        )
        async with scan_worker:
            result = await client.execute_workflow(
                ProfileScanWorkflow.run,
                ScanInput(scan="daily", starts_per_second=starts),
                id=f"scan-{uuid.uuid4().hex[:6]}",
                task_queue=settings.task_queue,
            )
        in_flight = asyncio.Semaphore(CONCURRENT_STARTS)

        async def bare(n: int) -> None:
            async with in_flight:
                await client.start_workflow(
                    EARLY_ACCESS.workflow_type,
                    JourneyInput(spec=EARLY_ACCESS, customer_id=f"bare-{n}"),
                    id=f"bare:{n}:{uuid.uuid4().hex[:6]}",
                    task_queue=journeys_queue,
                    start_signal="segment_entered",
                    start_signal_args=[{"segment": "x"}],
                    search_attributes=TypedSearchAttributes(
                        [
                            SearchAttributePair(CUSTOMER_ID, f"bare-{n}"),
                            SearchAttributePair(JOURNEY_KIND, EARLY_ACCESS.kind),
                        ]
                    ),
                )

        began = time.perf_counter()
        await asyncio.gather(*(bare(n) for n in range(result.journeys)))
        bare_seconds = time.perf_counter() - began
        await engine.dispose()
    print(
        f"daily scan: {result.customers} customers recomputed in {result.pages_seconds:.1f} s "
        f"({result.customers / result.pages_seconds:.0f} customers/s); {result.entries} "
        f"entered a dormant segment, {result.journeys} winbacks started in "
        f"{result.starts_seconds:.1f} s ({result.journeys / result.starts_seconds:.0f}/s, "
        f"rate bound {starts:g}/s)"
    )
    ours, bare_rate = result.journeys / result.starts_seconds, result.journeys / bare_seconds
    print(
        f"bare signal-with-start of as many ({CONCURRENT_STARTS} in flight, same search "
        f"attributes): {bare_rate:.0f}/s; ratio of the scan's starts to bare: "
        f"{ours / bare_rate:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fractions", default="0.25,0.5", help="of the saturation rate, comma-separated"
    )
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--starts-per-second", type=float, default=1000)
    parser.add_argument("--database-url", default="", help="default: a scratch SQLite file")
    args = parser.parse_args()
    fractions = [float(fraction) for fraction in args.fractions.split(",")]
    asyncio.run(
        main(fractions, args.seconds, args.customers, args.starts_per_second, args.database_url)
    )
