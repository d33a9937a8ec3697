"""The decision point's cost and latency: CPU per decision at saturation, with its breakdown, and
latency open-loop at 50 % and 80 % of the saturation rate.

Each call is the real send path (sending/), on PostgreSQL by default: `decide` (the lock with the
customer's row, the contact history, the guardrails, the ledger row) and `send` (the decision,
the welcome's recommendation picks from the shipped model, re-checked against the demo catalog
served by `journeyctl catalog demo` in a process of its own, the copy from templates, the
delivery to the dev outbox: the whole activity). Every call is for a customer of its own (a
customer already messaged would be capped, a cheaper decision); a `send`'s customer viewed one
of the model's products, so its picks are personal. Requests carry the segment and the send
window as a journey's facts bring them. The bare yardstick, measured in the same run: a
one-statement transaction (`UPDATE` of a customer row) on the same engine, so the ratios say
what a decision costs beyond one round trip.

1. Saturation: `--callers` concurrent callers, each deciding again as soon as its call returns,
   for `--seconds`: the rate is the saturation rate, and the process's CPU time over the calls
   (`time.process_time`, this process only: the bench runs nothing else) is the CPU per call.
2. Breakdown: `--profiled` calls one after another under cProfile, their time grouped by where
   it was spent (SQLAlchemy, the driver, pydantic, the guardrails, scoring, the copy...), as
   shares of the profiled time (profiling inflates the absolute figures, not the shares much).
3. Open loop: calls arrive on a fixed clock, whatever the earlier ones are doing; each latency
   runs from the call's scheduled arrival, so a stall delays the calls queued behind it (no
   coordinated omission). First past capacity (arrivals at 1.5x the closed loop's rate): the
   calls served per second are the open-loop saturation rate. The closed loop overstates it:
   its callers wake together and share each turn of the event loop, while open-loop arrivals
   come one by one, each its own wake-up, so a call costs more CPU. Then at 50 % and 80 % of
   that rate, reported as p50/p99.

    .venv/bin/python -m bench.guardrail_bench [--url postgresql+asyncpg://...] [--seconds 10]
        [--callers 32] [--profiled 300] [--what decide|send|both]
"""

import argparse
import asyncio
import cProfile
import itertools
import pstats
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bench.harness import demo_catalog, percentiles
from bench.one_send import welcome_request
from catalog import CatalogSettings
from catalog.demo import load_demo_catalogue
from channels.setup import build_channels
from content import InMemoryCopyCache
from logging_setup import configure_logging
from models.customers import CustomerProfile
from models.events import EventType
from models.tables import CustomerRow, EventRow
from recommendations.model import load_model
from recommendations.tables import load_model_tables
from scoring.model import IntentModel
from scoring.send_time import SendWindow, default_window
from scoring.settings import repo_path
from sending import SendPath
from sending.setup import build_send_path
from settings import Settings
from storage.customers import upsert_customer
from storage.database import create_engine, migrate, session_factory
from workers.main import settle_heap

SHARES = (0.5, 0.8)
OVERLOAD = 1.5  # past capacity, to find the open-loop saturation rate
VIEWED = 100
# Where profiled time goes, by the file a function is defined in (first match wins).
PLACES = (
    ("guardrails", "/guardrails/"),
    ("scoring", "/scoring/"),
    ("content (copy)", "/content/"),
    ("channels (compose)", "/channels/"),
    ("sending (ours)", "/sending/"),
    ("recommendations (ours)", "/recommendations/"),
    ("catalog client (ours)", "/catalog/"),
    ("storage (ours)", "/storage/"),
    ("SQLAlchemy", "/sqlalchemy/"),
    ("driver (asyncpg/aiosqlite)", "/asyncpg/"),
    ("driver (asyncpg/aiosqlite)", "/aiosqlite/"),
    ("driver (asyncpg/aiosqlite)", "sqlite3"),
    ("pydantic", "/pydantic"),
    ("logging (structlog)", "/structlog/"),
    ("HTTP client (httpx and below)", "/httpx/"),
    ("HTTP client (httpx and below)", "/httpcore/"),
    ("HTTP client (httpx and below)", "/anyio/"),
    ("HTTP client (httpx and below)", "/h11/"),
    ("asyncio", "/asyncio/"),
)

Call = Callable[[str], Awaitable[object]]


@dataclass
class Measured:
    calls: int
    seconds: float
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.calls / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.cpu_seconds / self.calls * 1000


async def saturate(call: Call, customers: Iterator[str], callers: int, seconds: float) -> Measured:
    count = 0
    deadline = time.perf_counter() + seconds

    async def caller() -> None:
        nonlocal count
        # A run that uses up its fresh customers ends there: reusing one would meet its caps
        # and measure a cheaper path.
        for customer in customers:
            if time.perf_counter() >= deadline:
                return
            await call(customer)
            count += 1

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(caller() for _ in range(callers)))
    return Measured(count, time.perf_counter() - wall, time.process_time() - cpu)


@dataclass
class Arrivals:
    latencies: list[float]  # ms, from each call's scheduled arrival
    served: int  # calls finished while calls were still arriving
    seconds: float
    cpu_ms: float

    @property
    def served_rate(self) -> float:
        return self.served / self.seconds


async def open_loop(call: Call, customers: Iterator[str], rate: float, seconds: float) -> Arrivals:
    """Calls arriving every 1/rate s for `seconds`, whatever the earlier ones are doing."""
    latencies: list[float] = []
    served = 0

    async def one(customer_id: str, due: float) -> None:
        nonlocal served
        await call(customer_id)
        done = time.perf_counter()
        latencies.append((done - due) * 1000)
        served += done < began + seconds

    # Only the calls in flight are held: thousands of finished ones kept to the end would be the
    # load generator's garbage for the collector to walk, a stall the worker does not have.
    running: set[asyncio.Task[None]] = set()
    arrivals = 0
    began = time.perf_counter()
    cpu = time.process_time()
    while (due := began + arrivals / rate) < began + seconds:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        task = asyncio.create_task(one(next(customers), due))
        running.add(task)
        task.add_done_callback(running.discard)
        arrivals += 1
    await asyncio.gather(*running)
    return Arrivals(latencies, served, seconds, (time.process_time() - cpu) / arrivals * 1000)


async def breakdown(call: Call, customers: Iterator[str], count: int) -> list[tuple[str, float]]:
    profile = cProfile.Profile(time.process_time)  # CPU time: waiting for I/O is not cost
    profile.enable()
    for _ in range(count):
        await call(next(customers))
    profile.disable()
    stats = pstats.Stats(profile).stats
    spent: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, own, _cum, _callers) in stats.items():
        place = next((label for label, part in PLACES if part in filename), "other")
        spent[place] += own
    total = sum(spent.values()) or 1.0
    return sorted(((place, own / total) for place, own in spent.items()), key=lambda p: -p[1])


async def new_customers(
    sessions: async_sessionmaker[AsyncSession],
    count: int,
    now: datetime,
    viewed: Sequence[str] = (),
) -> Iterator[str]:
    """`count` fresh customers; with `viewed`, each viewed one of those products an hour ago."""
    ids = [f"bench-{uuid.uuid4().hex[:12]}" for _ in range(count)]
    views = itertools.cycle(viewed) if viewed else None
    for start in range(0, count, 500):
        async with sessions.begin() as session:
            for customer_id in ids[start : start + 500]:
                profile = CustomerProfile(consent={"inapp": True, "email": True})
                await upsert_customer(session, customer_id, profile, now)
                if views is not None:
                    session.add(view(customer_id, next(views), now - timedelta(hours=1)))
    return iter(ids)


def view(customer_id: str, sku: str, at: datetime) -> EventRow:
    return EventRow(
        event_id=uuid.uuid4().hex,
        customer_id=customer_id,
        type=EventType.PRODUCT_VIEWED.value,
        occurred_at=at,
        received_at=at,
        properties={"sku": sku},
        routed_at=at,
    )


async def load_recommendations(
    sessions: async_sessionmaker[AsyncSession], now: datetime
) -> list[str]:
    """Load the shipped model into the database, as `journeyctl up` does, and return products
    both it and the demo catalogue know, for the customers' views: few enough for the warm-up to
    see each once, as a worker that has run a while has (the worker keeps a product's neighbour
    lists decoded: a first sight of one is dearer). The model in memory is dropped on return: a
    worker reads it from the database and never holds it whole."""
    recommendations = load_model()
    await load_model_tables(sessions, recommendations, now)
    return sorted(set(recommendations.items) & set(load_demo_catalogue()))[:VIEWED]


def calls(
    path: SendPath, sessions: async_sessionmaker[AsyncSession], now: datetime, window: SendWindow
) -> dict[str, Call]:
    async def bare(customer_id: str) -> None:
        async with sessions.begin() as session:
            await session.execute(
                update(CustomerRow)
                .where(CustomerRow.customer_id == customer_id)
                .values(decision_seq=CustomerRow.decision_seq + 1)
            )

    async def decide(customer_id: str) -> None:
        await path.decisions.decide(welcome_request(customer_id, now, window))

    async def send(customer_id: str) -> None:
        await path.send(welcome_request(customer_id, now, window))

    return {"bare": bare, "decide": decide, "send": send}


async def measure(
    database: str, catalog_url: str, seconds: float, callers: int, profiled: int, what: list[str]
) -> None:
    await migrate(database)
    settings = Settings(
        database_url=database,
        data_dir=Path("/tmp"),
        log_level="warning",
        catalog=CatalogSettings(base_url=catalog_url),
    )
    configure_logging(settings)
    engine = create_engine(database)
    sessions = session_factory(engine)
    model = IntentModel.load(repo_path(settings.scoring.model_path))
    path = build_send_path(
        settings, sessions, model, build_channels(settings, sessions), InMemoryCopyCache()
    )
    now = datetime.now(UTC).replace(hour=12)
    viewed = await load_recommendations(sessions, now)
    window = default_window(settings.scoring.send_time)
    kinds = calls(path, sessions, now, window)
    settle_heap()  # as a started worker does: this process stands in for its event loop
    print(f"{engine.dialect.name}: {callers} callers for {seconds:.0f} s to saturate", flush=True)
    for kind in ("bare", *what):
        call = kinds[kind]
        views = viewed if kind == "send" else ()
        # Enough customers for the closed loop at any plausible rate, then for each share.
        customers = await new_customers(sessions, int(15000 * seconds / 10) + callers, now, views)
        for _ in range(max(20, len(views))):  # warm the statement caches, pool, lists
            await call(next(customers))
        measured = await saturate(call, customers, callers, seconds)
        print(
            f"\n{kind}: saturation {measured.rate:.0f}/s, "
            f"CPU {measured.cpu_ms:.2f} ms per call ({measured.calls} calls)",
            flush=True,
        )
        if kind == "bare":
            bare = measured
            continue
        print(
            f"  vs bare one-statement transaction: "
            f"{measured.cpu_ms / bare.cpu_ms:.2f}x the CPU, "
            f"{measured.rate / bare.rate:.2f}x the rate"
        )
        offered = measured.rate * OVERLOAD
        customers = await new_customers(sessions, int(offered * seconds) + 1, now, views)
        past = await open_loop(call, customers, offered, seconds)
        print(
            f"  open-loop saturation: {past.served_rate:.0f}/s served of {offered:.0f}/s offered "
            f"(CPU {past.cpu_ms:.2f} ms per call)",
            flush=True,
        )
        for share in SHARES:
            rate = past.served_rate * share
            customers = await new_customers(sessions, int(rate * seconds) + 1, now, views)
            arrivals = await open_loop(call, customers, rate, seconds)
            p50, p99 = percentiles(arrivals.latencies)
            print(
                f"  open loop {share:.0%} ({rate:.0f}/s, {len(arrivals.latencies)} calls): "
                f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(arrivals.latencies):.1f} ms, "
                f"CPU {arrivals.cpu_ms:.2f} ms per call",
                flush=True,
            )
        if profiled:
            customers = await new_customers(sessions, profiled, now, views)
            print(f"  where one {kind}'s CPU goes ({profiled} calls one by one, cProfile):")
            for place, share in await breakdown(call, customers, profiled):
                print(f"    {place:<28} {share:6.1%}")
    await engine.dispose()


async def run(url: str, seconds: float, callers: int, profiled: int, what: list[str]) -> None:
    scratch = None
    admin = None
    if url.startswith("postgresql"):
        name = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        scratch = url.rsplit("/", 1)[0] + f"/{name}"
    database = scratch or url
    try:
        async with demo_catalog() as catalog_url:
            await measure(database, catalog_url, seconds, callers, profiled, what)
    finally:
        if admin is not None and scratch is not None:
            async with admin.connect() as conn:
                await conn.execute(
                    text(f'DROP DATABASE "{scratch.rsplit("/", 1)[1]}" WITH (FORCE)')
                )
            await admin.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/test",
        help="a PostgreSQL server (a scratch database is created and dropped) or a SQLite file",
    )
    parser.add_argument("--seconds", type=float, default=10, help="per load")
    parser.add_argument("--callers", type=int, default=32, help="closed-loop callers")
    parser.add_argument("--profiled", type=int, default=300, help="calls profiled (0: none)")
    parser.add_argument("--what", choices=("decide", "send", "both"), default="both")
    args = parser.parse_args()
    what = ["decide", "send"] if args.what == "both" else [args.what]
    asyncio.run(run(args.url, args.seconds, args.callers, args.profiled, what))
