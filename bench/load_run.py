"""Load run: many customers posting a shop's mix of events at once for minutes, then a check that
nothing was lost, sent twice or sent over a cap.

    .venv/bin/python -m bench.load_run [--customers 1000] [--minutes 3] [--database-url ...]

The whole stack on its own: a Temporal dev server, the real worker (in this process), the API
under uvicorn, a scratch SQLite database (or --database-url), every channel on the dev outbox.
Customers are created through the API (zones around the world, consent on every channel), then
callers post events for the given time: product views and cart updates most, orders, signups,
price and stock changes, support tickets, coupons and dormancy flags less, and 5 % of posts
repeat an earlier event (a sender's retry). Journeys run in real time: what sends within the run
is what sends at once or within seconds — the welcome, coupons expiring in just over 4 hours
(the offer-expiry reminder is due 4 hours before), winback for dormant customers, price drops —
several per customer, so the daily and weekly caps are reached. Afterwards, and exit code 1 if
anything fails:

- every accepted (202) event is stored, once; a repeat was answered `duplicate`;
- every journey the API said it started or signalled exists and holds that event as a signal;
- no customer got more sent messages than the daily, weekly and SMS caps allow (local days and
  ISO weeks in the customer's zone);
- no message twice: one ledger row per idempotency key, one outbox copy per sent message.
"""

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.service import RPCError

from bench.harness import api_server, bench_settings, client_for, dev_server
from guardrails.settings import GuardrailSettings
from journeys.runs import JourneyInput
from logging_setup import configure_logging
from models.events import Event
from models.messages import MessageStatus
from models.tables import CustomerRow, EventRow, MessageRow, OutboxRow
from storage.database import create_engine, migrate, read_engine, session_factory
from workers.build import build_worker

ZONES = ("Asia/Shanghai", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "UTC")
MIX = {  # relative frequency of each event a shop sends
    "product_viewed": 40,
    "cart_updated": 20,
    "page_viewed": 8,
    "order_paid": 8,
    "signup": 6,
    "session_ended": 5,
    "price_changed": 4,
    "coupon_issued": 4,
    "stock_changed": 2,
    "support_ticket_closed": 2,
    "customer_dormant": 1,
}
REPEAT_SHARE = 0.05


@dataclass
class Posted:
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)  # event_id -> answer
    repeats: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)  # each event's final answer
    # 503s answered (Temporal or the database slower than the API waits); the event was sent
    # again after its Retry-After, with the same id, as a backend does.
    unavailable: int = 0
    latencies_ms: list[float] = field(default_factory=list)


def properties(kind: str, rng: random.Random, now: datetime) -> dict[str, Any]:
    sku = f"sku-{rng.randrange(50)}"
    price = round(rng.uniform(5, 200), 2)
    match kind:
        case "product_viewed":
            return {"sku": sku, "price": price, "in_stock": True}
        case "cart_updated":
            item = {"sku": sku, "name": "Item", "price": price, "quantity": 1}
            return {"cart_id": f"cart-{rng.randrange(3)}", "items": [item], "total": price}
        case "page_viewed":
            return {"page_type": rng.choice(["category", "sale", "help"])}
        case "order_paid":
            return {"order_id": uuid.uuid4().hex[:12], "total": price}
        case "price_changed":
            return {"sku": sku, "old_price": price, "new_price": round(price * 0.8, 2)}
        case "stock_changed":
            return {"sku": sku, "stock": rng.randint(1, 5)}
        case "support_ticket_closed":
            return {"topic": rng.choice(["size", "payment", "delivery", "returns", "other"])}
        case "coupon_issued":
            expires = now + timedelta(hours=4, seconds=rng.randint(5, 60))
            return {"coupon_id": uuid.uuid4().hex[:10], "offer_id": "CART_TIMED_10",
                    "expires_at": expires.isoformat()}  # fmt: skip
        case "customer_dormant":
            return {"tier": rng.choice(["light", "medium", "heavy"])}
    return {}


async def create_customers(http: httpx.AsyncClient, ids: list[str], rng: random.Random) -> None:
    async def put(customer_id: str) -> None:
        response = await http.put(
            f"/v1/customers/{customer_id}",
            json={
                "timezone": rng.choice(ZONES),
                "email": f"{customer_id}@example.com",
                "phone": "+8613800000000",
                "push_token": f"push-{customer_id}",
                "wechat_openid": f"wx-{customer_id}",
                "consent": {c: True for c in ("inapp", "push", "email", "wechat", "sms")},
            },
        )
        response.raise_for_status()

    for first in range(0, len(ids), 50):
        await asyncio.gather(*(put(c) for c in ids[first : first + 50]))


async def post_events(
    http: httpx.AsyncClient,
    customers: list[str],
    seconds: float,
    concurrency: int,
    seed: int = 7,
    progress=print,
) -> Posted:
    posted = Posted()
    kinds, weights = list(MIX), list(MIX.values())
    deadline = time.monotonic() + seconds
    sent_bodies: list[dict[str, Any]] = []

    async def caller(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        while time.monotonic() < deadline:
            if sent_bodies and rng.random() < REPEAT_SHARE:
                body = rng.choice(sent_bodies)  # the sender retrying an event it sent
            else:
                kind = rng.choices(kinds, weights)[0]
                now = datetime.now(UTC)
                body = {
                    "event_id": uuid.uuid4().hex,
                    "customer_id": rng.choice(customers),
                    "type": kind,
                    "occurred_at": now.isoformat(),
                    "properties": properties(kind, rng, now),
                }
            while True:
                started = time.perf_counter()
                response = await http.post("/v1/events", json=body)
                posted.latencies_ms.append((time.perf_counter() - started) * 1000)
                if response.status_code != 503:
                    break
                posted.unavailable += 1
                await asyncio.sleep(float(response.headers.get("Retry-After", 1)))
            posted.statuses[response.status_code] += 1
            if response.status_code != 202:
                continue
            answer = response.json()
            if answer["event_id"] in posted.accepted:
                posted.repeats.append((answer["event_id"], answer))
            else:
                posted.accepted[answer["event_id"]] = answer
                sent_bodies.append(body)

    async def report() -> None:
        while time.monotonic() < deadline:
            await asyncio.sleep(10)
            progress(f"  {sum(posted.statuses.values())} posted, {dict(posted.statuses)}")

    reporter = asyncio.create_task(report())
    await asyncio.gather(*(caller(n) for n in range(concurrency)))
    reporter.cancel()
    return posted


async def check(
    posted: Posted,
    customers: list[str],
    client: Client,
    sessions: async_sessionmaker[AsyncSession],
    caps: GuardrailSettings,
) -> list[str]:
    """Every violation found among the run's customers, as a line each; none is a pass."""
    violations: list[str] = []
    async with sessions() as session:
        stored = set(
            await session.scalars(
                select(EventRow.event_id).where(EventRow.event_id.in_(list(posted.accepted)))
            )
        )
    violations += [f"accepted but not stored: {e}" for e in posted.accepted if e not in stored]
    violations += [
        f"a repeat of {event_id} was not answered as a duplicate"
        for event_id, answer in posted.repeats
        if not answer["duplicate"]
    ]
    violations += await _check_routing(posted, client)
    async with sessions() as session:
        violations += await _check_messages(session, customers, caps)
    return violations


async def _check_routing(posted: Posted, client: Client) -> list[str]:
    expected: dict[str, set[str]] = defaultdict(set)
    for event_id, answer in posted.accepted.items():
        for journey in answer["journeys"]:
            if journey["action"] in ("started", "signalled"):
                expected[journey["workflow_id"]].add(event_id)
    gate = asyncio.Semaphore(16)

    async def missing(workflow_id: str) -> list[str]:
        async with gate:
            seen: set[str] = set()
            try:
                async for run in client.list_workflows(f"WorkflowId = '{workflow_id}'"):
                    handle = client.get_workflow_handle(workflow_id, run_id=run.run_id)
                    async for event in handle.fetch_history_events():
                        # The trigger comes in the start's input, every later event as a signal.
                        started = event.workflow_execution_started_event_attributes
                        if started.input.payloads:
                            [run_input] = await client.data_converter.decode(
                                started.input.payloads[:1], [JourneyInput]
                            )
                            if run_input.trigger is not None:
                                seen.add(run_input.trigger.event_id)
                        signal = event.workflow_execution_signaled_event_attributes
                        if signal.input.payloads:
                            [received] = await client.data_converter.decode(
                                signal.input.payloads[:1], [Event]
                            )
                            seen.add(received.event_id)
            except RPCError as err:
                return [f"{workflow_id}: {err}"]
        return [f"{workflow_id} never got {e}" for e in sorted(expected[workflow_id] - seen)]

    found = await asyncio.gather(*(missing(w) for w in expected))
    return [line for lines in found for line in lines]


async def _check_messages(
    session: AsyncSession, customers: list[str], caps: GuardrailSettings
) -> list[str]:
    violations = []
    keys = await session.execute(
        select(MessageRow.idempotency_key, func.count())
        .where(MessageRow.customer_id.in_(customers))
        .group_by(MessageRow.idempotency_key)
        .having(func.count() > 1)
    )
    violations += [f"idempotency key decided {n} times: {key}" for key, n in keys.all()]
    sent = (
        await session.execute(
            select(
                MessageRow.message_id,
                MessageRow.customer_id,
                MessageRow.channel,
                MessageRow.created_at,
                CustomerRow.timezone,
            )  # fmt: skip
            .join(CustomerRow, CustomerRow.customer_id == MessageRow.customer_id)
            .where(MessageRow.status == MessageStatus.SENT, MessageRow.customer_id.in_(customers))
        )
    ).all()
    copies = dict(
        (
            await session.execute(
                select(OutboxRow.message_id, func.count())
                .where(OutboxRow.customer_id.in_(customers))
                .group_by(OutboxRow.message_id)
            )
        ).all()
    )
    violations += [
        f"message {row.message_id} has {copies.get(row.message_id, 0)} outbox copies"
        for row in sent
        if copies.get(row.message_id, 0) != 1
    ]
    days: Counter[tuple[str, str]] = Counter()
    weeks: Counter[tuple[str, str]] = Counter()
    sms_weeks: Counter[tuple[str, str]] = Counter()
    for row in sent:
        local = row.created_at.replace(tzinfo=row.created_at.tzinfo or UTC)
        local = local.astimezone(ZoneInfo(row.timezone))
        year, week_number, _ = local.isocalendar()
        week = f"{year}-W{week_number:02d}"
        days[(row.customer_id, local.date().isoformat())] += 1
        weeks[(row.customer_id, week)] += 1
        if row.channel == "sms":
            sms_weeks[(row.customer_id, week)] += 1
    for counts, cap, what in (
        (days, caps.daily_cap, "day"),
        (weeks, caps.weekly_cap, "week"),
        (sms_weeks, caps.sms_weekly_cap, "week of SMS"),
    ):
        violations += [
            f"{customer} got {n} messages in the {what} {period} (cap {cap})"
            for (customer, period), n in counts.items()
            if n > cap
        ]
    return violations


async def ledger_summary(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessions() as session:
        rows = await session.execute(
            select(MessageRow.status, func.count()).group_by(MessageRow.status)
        )
        return {status: n for status, n in rows.all()}


async def main(customers: int, minutes: float, database_url: str, concurrency: int) -> int:
    scratch = Path(tempfile.mkdtemp(prefix="load-run-"))
    async with dev_server() as (address, _server):
        settings = bench_settings(address, database_url, scratch, "load", api_keys=["load-key"])
        configure_logging(settings)
        await migrate(settings.resolved_database_url)
        engine = create_engine(settings.resolved_database_url, settings.keyring())
        reader = read_engine(engine)  # as workers/main.py
        sessions = session_factory(engine)
        client = await client_for(address)
        ids = [f"load-{uuid.uuid4().hex[:6]}-{n}" for n in range(customers)]
        worker = build_worker(client, settings, sessions, reads=session_factory(reader))
        async with worker, api_server(settings, client) as http:
            print(f"load run: {customers} customers, {minutes:g} min, {concurrency} callers")
            await create_customers(http, ids, random.Random(1))
            print(f"  {customers} customers created")
            began = time.monotonic()
            posted = await post_events(http, ids, minutes * 60, concurrency)
            elapsed = time.monotonic() - began
            print("  posting over; letting sends already due finish (30 s)")
            await asyncio.sleep(30)
            violations = await check(posted, ids, client, sessions, settings.guardrails)
            ledger = await ledger_summary(sessions)
        await engine.dispose()
        await reader.dispose()
    latencies = sorted(posted.latencies_ms)
    p99 = latencies[int(len(latencies) * 0.99)] if latencies else 0.0
    journeys = {
        j["workflow_id"]
        for answer in posted.accepted.values()
        for j in answer["journeys"]
        if j["action"] == "started"
    }
    print(f"events posted: {sum(posted.statuses.values())} ({dict(posted.statuses)}; "
          f"{posted.unavailable} answers of 503 sent again), "
          f"{len(posted.accepted)} accepted, {len(posted.repeats)} repeats answered; "
          f"{len(posted.accepted) / elapsed:.0f} accepted/s, p99 {p99:.0f} ms")  # fmt: skip
    print(f"journeys started: {len(journeys)}; ledger: {ledger}")
    print(f"violations: {len(violations)}")
    for line in violations[:50]:
        print(f"  {line}")
    return 1 if violations else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database-url", default="", help="default: a scratch SQLite file")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.customers, args.minutes, args.database_url, args.concurrency)))
