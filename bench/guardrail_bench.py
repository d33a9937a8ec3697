"""Decision-point latency on PostgreSQL at 1, 50 and 200 concurrent callers, and at a paced load.

Each call is the real `prepare_message` activity: lock the customer's row, load their contact
history, score intent, run every guardrail, write the ledger row, write the copy from templates.
Every decision is for a customer of its own (the per-customer lock serialises only one customer,
and a customer already messaged would be capped, a cheaper decision).

Closed loop: N callers each decide again as soon as their last decision returns, so the latency
at 200 callers is mostly the wait for the process's CPU (about 6 ms of Python per decision).
Paced: decisions arrive on a clock at a share of the closed-loop rate, up to 200 in flight, as a
worker's activity slots would see them: the latency at a load the process can carry.

    .venv/bin/python -m bench.guardrail_bench [--url postgresql+asyncpg://postgres@127.0.0.1/test]
"""

import argparse
import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from activities.copywriter import Copywriter
from activities.decisions import DecisionActivities
from activities.offer_choice import OfferBook
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bench.harness import percentiles
from content import InMemoryCopyCache
from journeys.cart_abandonment import CART_ABANDONMENT
from journeys.runs import PrepareMessage
from journeys.spec import Send
from logging_setup import configure_logging
from models.customers import CustomerProfile
from models.events import Event, EventType
from offers.catalogue import load_catalogue
from offers.uplift_model import load_uplift_model
from scoring.model import IntentModel
from scoring.settings import repo_path
from settings import Settings
from storage.customers import upsert_customer
from storage.database import create_engine, migrate, session_factory

PACED_SHARES = (0.25, 0.5, 0.75)
STAGE_1 = next(s for s in CART_ABANDONMENT.steps if isinstance(s, Send))


def request(customer_id: str, now: datetime) -> PrepareMessage:
    event = Event(
        event_id=uuid.uuid4().hex,
        customer_id=customer_id,
        type=EventType.CART_UPDATED,
        occurred_at=now,
        properties={"cart_id": "c", "items": [], "total": 1},
    )
    workflow_id = f"cart_abandonment:{customer_id}"
    return PrepareMessage(
        idempotency_key=f"{workflow_id}:{event.event_id}:stage_1",
        customer_id=customer_id,
        journey="cart_abandonment",
        workflow_id=workflow_id,
        step=STAGE_1,
        trigger_event=event,
        decided_at=now,
    )


async def timed(
    activities: DecisionActivities, customer_id: str, now: datetime, latencies: list[float]
) -> None:
    started = time.perf_counter()
    await activities.prepare_message(request(customer_id, now))
    latencies.append((time.perf_counter() - started) * 1000)


async def closed_loop(
    activities: DecisionActivities, customers: Iterator[str], now: datetime, callers: int, each: int
) -> tuple[list[float], float]:
    latencies: list[float] = []

    async def caller() -> None:
        for _ in range(each):
            await timed(activities, next(customers), now, latencies)

    wall = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(callers)))
    return latencies, len(latencies) / (time.perf_counter() - wall)


async def paced(
    activities: DecisionActivities,
    customers: Iterator[str],
    now: datetime,
    rate: float,
    seconds: float,
    in_flight: int = 200,
) -> tuple[list[float], float]:
    latencies: list[float] = []
    slots = asyncio.Semaphore(in_flight)

    async def one(customer_id: str) -> None:
        async with slots:
            await timed(activities, customer_id, now, latencies)

    tasks = []
    began = time.perf_counter()
    while (due := began + len(tasks) / rate) < began + seconds:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(one(next(customers))))
    await asyncio.gather(*tasks)
    return latencies, len(latencies) / (time.perf_counter() - began)


async def new_customers(
    sessions: async_sessionmaker[AsyncSession], count: int, now: datetime
) -> Iterator[str]:
    ids = [f"bench-{uuid.uuid4().hex[:12]}" for _ in range(count)]
    async with sessions.begin() as session:
        for customer_id in ids:
            profile = CustomerProfile(consent={"inapp": True, "email": True})
            await upsert_customer(session, customer_id, profile, now)
    return iter(ids)


def row(label: str, latencies: list[float], rate: float) -> str:
    p50, p99 = percentiles(latencies)
    return (
        f"{label:>22} {len(latencies):>10} {p50:>8.1f} {p99:>8.1f} {max(latencies):>8.1f} "
        f"{rate:>8.0f}"
    )


async def run(admin_url: str, seconds: float) -> None:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        await migrate(url)
        settings = Settings(database_url=url, data_dir=Path("/tmp"), log_level="warning")
        configure_logging(settings)
        engine = create_engine(url)
        sessions = session_factory(engine)
        copywriter = Copywriter(settings.content, load_catalogue(), InMemoryCopyCache(), None, None)
        model = IntentModel.load(repo_path(settings.scoring.model_path))
        offers = OfferBook(load_catalogue(), load_uplift_model())
        activities = DecisionActivities(sessions, settings, model, copywriter, offers)
        now = datetime.now(UTC).replace(hour=12)
        levels = ((1, 100), (50, 5), (200, 5))
        customers = await new_customers(sessions, sum(c * each for c, each in levels), now)
        print("PostgreSQL decision point (ms)")
        print(f"{'load':>22} {'decisions':>10} {'p50':>8} {'p99':>8} {'max':>8} {'per s':>8}")
        peak = 0.0
        for callers, each in levels:
            latencies, rate = await closed_loop(activities, customers, now, callers, each)
            peak = max(peak, rate)
            print(row(f"{callers} callers", latencies, rate), flush=True)
        for share in PACED_SHARES:
            customers = await new_customers(sessions, int(peak * share * seconds) + 1, now)
            latencies, rate = await paced(activities, customers, now, peak * share, seconds)
            print(row(f"paced {peak * share:.0f}/s ({share:.0%})", latencies, rate), flush=True)
        await engine.dispose()
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--seconds", type=float, default=10, help="per paced load")
    args = parser.parse_args()
    asyncio.run(run(args.url, args.seconds))
