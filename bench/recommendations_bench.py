"""Recommendation lookup latency and the predict command's speed, with the shipped model.

Run from the repository root: `.venv/bin/python -m bench.recommendations_bench` (SQLite scratch
file; `--url postgresql+asyncpg://...` for a PostgreSQL database of its own). Each lookup is the
send path's `picks_for` for a customer whose history is the last 50 distinct products of one
Complete Journey household, as SKUs only (as events carry them). The baseline, measured in the
same run on the same connection, is a bare `SELECT 1`. Latency: each customer's first lookup
with the worker's decoded-list cache empty; then, warm, one caller back to back (the
saturation rate), then open loop at fixed arrival rates of 25 % and 50 % of it. Predict: 400
customers (the file's 366 households and 34 of them again under new ids) from the shipped
artefact, in process.
"""

import argparse
import asyncio
import csv
import itertools
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bench.harness import percentiles
from recommendations.history import Purchase, read_history
from recommendations.model import load_model
from recommendations.predict import predict_file
from recommendations.serving import PickRequest, picks_for
from recommendations.tables import DecodedLists, load_model_tables
from storage.database import create_engine, migrate, session_factory

BASKETS = Path(__file__).resolve().parents[2] / "shared" / "data" / "completejourney_baskets.csv"
NOW = datetime(2017, 11, 5, 12, tzinfo=UTC)
SHARES = (0.25, 0.5)


def histories_of_50() -> list[list[Purchase]]:
    histories = []
    for purchases in read_history(BASKETS).values():
        last = list(dict.fromkeys(p.product_id for p in reversed(purchases)))[:50]
        if len(last) == 50:
            histories.append([Purchase(sku, "", "", NOW) for sku in last])
    return histories


CPU_SPENT: list[float] = []  # per back-to-back call: this process's CPU (both threads), ms


async def closed(call: Callable[[], Awaitable[object]], count: int) -> tuple[list[float], float]:
    latencies = []
    CPU_SPENT.clear()
    began = time.perf_counter()
    for _ in range(count):
        started, cpu = time.perf_counter(), time.process_time()
        await call()
        latencies.append((time.perf_counter() - started) * 1000)
        CPU_SPENT.append((time.process_time() - cpu) * 1000)
    return latencies, count / (time.perf_counter() - began)


async def paced(
    call: Callable[[], Awaitable[object]], rate: float, seconds: float
) -> tuple[list[float], float]:
    latencies: list[float] = []

    async def one() -> None:
        started = time.perf_counter()
        await call()
        latencies.append((time.perf_counter() - started) * 1000)

    tasks = []
    began = time.perf_counter()
    while (due := began + len(tasks) / rate) < began + seconds:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)
    return latencies, len(latencies) / (time.perf_counter() - began)


def row(label: str, latencies: list[float], rate: float, base_p99: float) -> str:
    p50, p99 = percentiles(latencies)
    return (
        f"{label:>26} {len(latencies):>7} {p50:>8.2f} {p99:>8.2f} {rate:>8.0f} "
        f"{p99 / base_p99:>9.1f}x"
    )


async def lookups(url: str, calls: int, seconds: float) -> None:
    await migrate(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    model = load_model()
    started = time.perf_counter()
    _, rows = await load_model_tables(sessions, model, datetime.now(UTC))
    print(
        f"load: {model.version}, {rows:,} neighbour lists in {time.perf_counter() - started:.1f} s"
    )
    customers = histories_of_50()
    histories = itertools.cycle(customers)
    decoded = DecodedLists()  # as a worker keeps one for its life
    messages = itertools.count()
    async with sessions() as session:

        async def baseline() -> None:
            await session.execute(text("SELECT 1"))

        async def lookup(db: AsyncSession = session) -> None:
            history = next(histories)
            request = PickRequest("bench", history, seed=f"m-{next(messages)}", now=NOW)
            await picks_for(db, request, decoded=decoded)

        await closed(baseline, 20)  # the statement caches
        base, _ = await closed(baseline, calls)
        base_p99 = percentiles(base)[1]
        # The CPU a call costs does not wait for the other processes on a shared machine, so
        # it is printed beside the wall time (ratios to the baseline's CPU p99).
        base_cpu = list(CPU_SPENT)
        base_cpu_p99 = percentiles(base_cpu)[1]
        print(f"{'(ms)':>26} {'calls':>7} {'p50':>8} {'p99':>8} {'per s':>8} {'p99/base':>10}")
        print(row("SELECT 1 (baseline)", base, calls / (sum(base) / 1000), base_p99))
        print(row("  its CPU", base_cpu, calls / (sum(base) / 1000), base_cpu_p99))
        # Each customer once from an empty cache: the lists a lookup lacks are read and
        # decoded (a fresh worker); then the steady state, every list already decoded.
        latencies, rate = await closed(lookup, len(customers))
        print(row("1st lookup per customer", latencies, rate, base_p99))
        print(row("  its CPU", CPU_SPENT, rate, base_cpu_p99))
        cpu = time.process_time()
        latencies, peak = await closed(lookup, calls)
        cpu_ms = (time.process_time() - cpu) / calls * 1000
        print(row("picks_for, 1 caller, warm", latencies, peak, base_p99))
        print(row("  its CPU", CPU_SPENT, peak, base_cpu_p99), flush=True)
        for share in SHARES:
            latencies, rate = await paced(lookup, peak * share, seconds)
            print(row(f"paced {peak * share:.0f}/s ({share:.0%})", latencies, rate, base_p99))
    print(f"CPU per lookup (this process, both threads): {cpu_ms:.1f} ms")
    await engine.dispose()


def predict(scratch: Path) -> None:
    source, extended = BASKETS, scratch / "history-400.csv"
    with source.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    customers = sorted({r["customer_id"] for r in rows})
    again = set(customers[: 400 - len(customers)])
    with extended.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        copies = [
            {**r, "customer_id": f"again-{r['customer_id']}"}
            for r in rows
            if r["customer_id"] in again
        ]
        writer.writerows(rows + copies)
    wall, cpu = time.perf_counter(), time.process_time()
    model = load_model()
    count = predict_file(model, extended, scratch / "picks.csv", 10)
    print(
        f"predict: top 10 for {count} customers (full histories, {len(rows) + len(copies):,} "
        f"lines) in {time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU"
    )


async def main(url: str | None, calls: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        if url is None:
            await lookups(f"sqlite+aiosqlite:///{scratch}/bench.db", calls, seconds)
        else:
            name = f"bench_{uuid.uuid4().hex[:8]}"
            admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
            async with admin.connect() as conn:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                await lookups(url.rsplit("/", 1)[0] + f"/{name}", calls, seconds)
            finally:
                async with admin.connect() as conn:
                    await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                await admin.dispose()
        predict(Path(scratch))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="PostgreSQL admin URL (default: a SQLite scratch file)")
    parser.add_argument("--calls", type=int, default=500, help="back-to-back lookups")
    parser.add_argument("--seconds", type=float, default=10, help="per paced load")
    args = parser.parse_args()
    asyncio.run(main(args.url, args.calls, args.seconds))
