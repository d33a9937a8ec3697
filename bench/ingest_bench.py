"""Ingest: `POST /v1/events` against bare signal-with-start, side by side on one dev server.

Both sides start or signal the cart-abandonment journey of one customer per request (no worker
runs, so only ingest is measured). Ours goes through HTTP to the API in a process of its own
(`journeyctl api`, as deployed), the bearer key, validation, the event store (SQLite by default,
or --database-url) and routing; bare is the SDK's `start_workflow(..., start_signal=...)` from
the bench's process, which also drives the HTTP calls.

    .venv/bin/python -m bench.ingest_bench [--seconds 20] [--concurrency 32]
"""

import argparse
import asyncio
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import api_process, bench_settings, client_for, dev_server, percentiles
from journeys.cart_abandonment import CART_ABANDONMENT
from logging_setup import configure_logging
from models.events import Event, EventType
from models.journey_runs import JourneyInput
from storage.database import migrate

CART = {
    "cart_id": "cart-1",
    "items": [{"sku": "sku-1", "name": "Linen shirt", "price": 59.0, "quantity": 1}],
    "total": 59.0,
}


async def drive(seconds: float, concurrency: int, one) -> tuple[float, list[float]]:  # type: ignore[no-untyped-def]
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def loop(worker: int) -> None:
        n = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await one(f"w{worker}-{n}-{uuid.uuid4().hex[:6]}")
            latencies.append((time.perf_counter() - started) * 1000)
            n += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(concurrency)))
    return len(latencies) / (time.perf_counter() - started), latencies


async def main(seconds: float, concurrency: int, database_url: str) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    async with dev_server() as (address, _server):
        settings = bench_settings(
            address, database_url, scratch, "bench-ingest", api_keys=["bench-key"]
        )
        configure_logging(settings)
        await migrate(settings.resolved_database_url)
        client = await client_for(address)

        async def bare(customer_id: str) -> None:
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
            )

        async with api_process(settings, max_connections=concurrency) as http:

            async def ours(customer_id: str) -> None:
                response = await http.post(
                    "/v1/events",
                    json={
                        "event_id": uuid.uuid4().hex,
                        "customer_id": customer_id,
                        "type": "cart_updated",
                        "occurred_at": datetime.now(UTC).isoformat(),
                        "properties": CART,
                    },
                )
                assert response.status_code == 202, response.text

            print(f"ingest, {concurrency} concurrent callers, {seconds:.0f} s each, one dev server")
            print(f"{'side':<28} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8}")
            rates = {}
            for name, one in (("bare signal-with-start", bare), ("POST /v1/events", ours)):
                rate, latencies = await drive(seconds, concurrency, one)
                p50, p99 = percentiles(latencies)
                rates[name] = rate
                print(f"{name:<28} {rate:>8.0f} {p50:>8.1f} {p99:>8.1f}")
            ratio = rates["POST /v1/events"] / rates["bare signal-with-start"]
            print(f"ratio ours/bare: {ratio:.2f} (goal >= 0.80)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database-url", default="", help="default: a scratch SQLite file")
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.concurrency, args.database_url))
