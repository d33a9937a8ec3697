"""Decision-point latency on PostgreSQL at 1, 50 and 200 concurrent callers.

Each call is the real `prepare_message` activity: lock the customer's row, load their contact
history, score intent, run every guardrail, write the ledger row, write the copy from templates.
Callers decide for distinct customers (the per-customer lock serialises only one customer).

    .venv/bin/python bench/guardrail_bench.py [--url postgresql+asyncpg://postgres@127.0.0.1/test]
"""

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from activities.copywriter import Copywriter
from activities.decisions import DecisionActivities
from activities.offer_choice import OfferBook
from content import InMemoryCopyCache
from journeys.cart_abandonment import CART_ABANDONMENT
from journeys.spec import Send
from logging_setup import configure_logging
from models.customers import CustomerProfile
from models.events import Event, EventType
from models.journey_runs import PrepareMessage
from offers.catalogue import load_catalogue
from offers.uplift_model import load_uplift_model
from scoring.model import IntentModel
from scoring.settings import repo_path
from settings import Settings
from storage.customers import upsert_customer
from storage.database import create_engine, migrate, session_factory

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


async def run(admin_url: str, rounds: int) -> None:
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
        customers = [f"bench-{i}" for i in range(200)]
        now = datetime.now(UTC).replace(hour=12)
        async with sessions.begin() as session:
            for customer_id in customers:
                profile = CustomerProfile(consent={"inapp": True, "email": True})
                await upsert_customer(session, customer_id, profile, now)

        print(f"PostgreSQL decision point, {rounds} rounds per level (ms)")
        print(f"{'callers':>8} {'decisions':>10} {'p50':>8} {'p99':>8} {'max':>8} {'per s':>8}")
        for callers in (1, 50, 200):
            latencies: list[float] = []
            wall = time.perf_counter()
            for _ in range(rounds):
                await asyncio.gather(
                    *(timed(activities, c, now, latencies) for c in customers[:callers])
                )
            wall = time.perf_counter() - wall
            cuts = statistics.quantiles(latencies, n=100)
            print(
                f"{callers:>8} {len(latencies):>10} {cuts[49]:>8.1f} {cuts[98]:>8.1f} "
                f"{max(latencies):>8.1f} {len(latencies) / wall:>8.0f}"
            )
        await engine.dispose()
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.url, args.rounds))
