"""Ingest: `POST /v1/events` against bare signal-with-start, side by side on one dev server.

Every side starts or signals the cart-abandonment journey of one customer per request (no worker
runs, so only ingest is measured). Ours goes through HTTP to the API in a process of its own
(`journeyctl api`, as deployed), the bearer key, validation, the event store (SQLite by default,
or --database-url) and routing. Bare is the SDK's `start_workflow(..., start_signal=...)` from
the bench's process, once as is and once with the search attributes our start sets
(`routing.start_attributes`), which the server indexes: that is Temporal's cost of the
product's start, apart from the API's. The bench's process also drives the HTTP calls (one
keep-alive connection per caller, bench/http_load.py).

Figures on this shared machine drift by ±10 % from minute to minute, so the sides take turns,
round after round, each round starting with the next side and each side once the server is quiet
(the server slows as the started journeys pile up: a fixed order favoured the first side), and the
ratios are of the medians. The CPU the dev server and the API used per
request shows where the difference goes: on one 2-core box the API's CPU is taken from the server.
With --server-core the dev server runs on CPU 0 alone and the bench's process and the API on
the others, as when the API and Temporal run on hosts of their own; both sides still run against
the same server, one at a time.

    .venv/bin/python -m bench.ingest_bench [--rounds 3] [--seconds 10] [--concurrency 32]
        [--server-core]
"""

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from temporalio.common import TypedSearchAttributes

from bench.harness import (
    SERVER_CORE_HELP,
    api_process,
    bench_settings,
    client_for,
    cpu_seconds,
    dev_server,
    in_turn,
    keep_core_for_server,
    percentiles,
    quiet,
)
from bench.http_load import KeepAliveConnection
from journeys.cart_abandonment import CART_ABANDONMENT
from journeys.runs import JourneyInput
from logging_setup import configure_logging
from models.events import Event, EventType
from routing import start_attributes
from storage.database import migrate

CART = {
    "cart_id": "cart-1",
    "items": [{"sku": "sku-1", "name": "Linen shirt", "price": 59.0, "quantity": 1}],
    "total": 59.0,
}
BARE, BARE_WITH_ATTRIBUTES, OURS = (
    "bare signal-with-start",
    "bare + search attributes",
    "POST /v1/events",
)

# (caller index, customer id) -> one request
Request = Callable[[int, str], Awaitable[None]]


async def drive(seconds: float, concurrency: int, one: Request) -> tuple[float, list[float]]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def loop(caller: int) -> None:
        n = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await one(caller, f"w{caller}-{n}-{uuid.uuid4().hex[:6]}")
            latencies.append((time.perf_counter() - started) * 1000)
            n += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(concurrency)))
    return len(latencies) / (time.perf_counter() - started), latencies


async def main(
    rounds: int, seconds: float, concurrency: int, database_url: str, server_core: bool
) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    server_cpus = keep_core_for_server() if server_core else None
    async with dev_server(cpus=server_cpus) as (address, server):
        settings = bench_settings(
            address, database_url, scratch, "bench-ingest", api_keys=["bench-key"]
        )
        configure_logging(settings)
        await migrate(settings.resolved_database_url)
        client = await client_for(address)

        def bare(with_attributes: bool) -> Request:
            async def one(_caller: int, customer_id: str) -> None:
                event = Event(
                    event_id=uuid.uuid4().hex,
                    customer_id=customer_id,
                    type=EventType.CART_UPDATED,
                    occurred_at=datetime.now(UTC),
                    properties=CART,
                )
                await client.start_workflow(
                    CART_ABANDONMENT.workflow_type,
                    JourneyInput(spec=CART_ABANDONMENT, customer_id=customer_id),
                    id=CART_ABANDONMENT.workflow_id(customer_id),
                    task_queue=settings.task_queue,
                    start_signal=event.type.value,
                    start_signal_args=[event],
                    search_attributes=start_attributes(CART_ABANDONMENT, customer_id)
                    if with_attributes
                    else TypedSearchAttributes.empty,
                )

            return one

        async with api_process(settings, max_connections=concurrency) as (http, api_pid):
            headers = {"Authorization": http.headers["Authorization"]}
            connections = [
                KeepAliveConnection("127.0.0.1", http.base_url.port, headers)
                for _ in range(concurrency)
            ]

            async def ours(caller: int, customer_id: str) -> None:
                status, answer = await connections[caller].post_json(
                    "/v1/events",
                    {
                        "event_id": uuid.uuid4().hex,
                        "customer_id": customer_id,
                        "type": "cart_updated",
                        "occurred_at": datetime.now(UTC).isoformat(),
                        "properties": CART,
                    },
                )
                assert status == 202, answer

            sides = {BARE: bare(False), BARE_WITH_ATTRIBUTES: bare(True), OURS: ours}
            rates: dict[str, list[float]] = {name: [] for name in sides}
            latencies: dict[str, list[float]] = {name: [] for name in sides}
            # CPU seconds the dev server and the API used during each side's turns
            server_cpu = dict.fromkeys(sides, 0.0)
            api_cpu = dict.fromkeys(sides, 0.0)
            print(
                f"ingest, {concurrency} concurrent callers, {rounds} rounds of {seconds:.0f} s "
                "per side, one dev server"
            )
            for n in range(1, rounds + 1):
                for name, one in in_turn(list(sides.items()), n - 1):
                    await quiet(server.pid)  # each side on a quiet server
                    server_before, api_before = cpu_seconds(server.pid), cpu_seconds(api_pid)
                    rate, samples = await drive(seconds, concurrency, one)
                    server_cpu[name] += cpu_seconds(server.pid) - server_before
                    api_cpu[name] += cpu_seconds(api_pid) - api_before
                    rates[name].append(rate)
                    latencies[name] += samples
                print(
                    f"  round {n}: "
                    + ", ".join(f"{name} {rates[name][-1]:.0f}/s" for name in sides),
                    flush=True,
                )
            for connection in connections:
                await connection.close()

    median = {name: statistics.median(rates[name]) for name in sides}
    print(
        f"{'side':<28} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8} {'server':>8} {'API':>8}"
        "  (median rate, all latencies, CPU ms per request)"
    )
    for name in sides:
        p50, p99 = percentiles(latencies[name])
        count = len(latencies[name])
        print(
            f"{name:<28} {median[name]:>8.0f} {p50:>8.1f} {p99:>8.1f} "
            f"{server_cpu[name] * 1000 / count:>8.2f} {api_cpu[name] * 1000 / count:>8.2f}"
        )
    print(f"ratio ours/bare: {median[OURS] / median[BARE]:.2f} (goal >= 0.80)")
    print(
        f"ratio ours/bare with the same search attributes: "
        f"{median[OURS] / median[BARE_WITH_ATTRIBUTES]:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database-url", default="", help="default: a scratch SQLite file")
    parser.add_argument("--server-core", action="store_true", help=SERVER_CORE_HELP)
    args = parser.parse_args()
    asyncio.run(
        main(args.rounds, args.seconds, args.concurrency, args.database_url, args.server_core)
    )
