"""What one send costs the database, counted with SQLAlchemy's own event hooks on both backends:
a send decided, written from templates and delivered to the dev outbox is at most six statements
and two commits (the decision's transaction, then the delivery's); a welcome message with its
recommendation picks, checked against the live catalog, adds three statements (the lookup with the
customer's events, the neighbour lists not decoded yet, the record of the picks) and one commit.
A change that adds a round trip to the send path fails here."""

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from catalog import CatalogSettings
from channels.setup import build_channels
from content import InMemoryCopyCache
from journeys.cart_abandonment import CART_ABANDONMENT
from journeys.runs import PrepareMessage
from journeys.spec import Send
from journeys.welcome import WELCOME
from models.customers import CustomerProfile
from models.events import Event, EventType
from models.messages import MessageStatus
from models.tables import DeliveryAttemptRow, MessageRow, OutboxRow
from recommendations.tables import load_model_tables
from sending import SendPath
from sending.setup import build_send_path
from storage.customers import upsert_customer
from storage.database import create_engine, session_factory
from storage.events import store_event
from storage.recommendations import recommended_in_message
from tests.conftest import make_settings, unique
from tests.fakes.catalog_server import start_fake_catalog
from tests.recommendations.model_builder import tiny_model
from tests.recommendations.send_rig import PRODUCTS

WELCOME_SEND = next(s for s in WELCOME.steps if isinstance(s, Send))
# A welcome step whose message carries no recommendations (sending/picks.py), sent when decided
# (its definition waits for the customer's active window: a deferral is not what is counted here).
PLAIN_SEND = next(
    s for s in WELCOME.steps if isinstance(s, Send) and s.id == "price_and_stock_news"
).model_copy(update={"timing": "exact"})
# A message with picks adds reads (the opt-out, the last 48 hours' picks, the model and the
# customer's events in one; the neighbour lists the worker has not decoded yet) and one
# transaction, the record of the picks.
PICK_STATEMENTS, PICK_COMMITS = 3, 1
CART_STAGE_1 = next(s for s in CART_ABANDONMENT.steps if isinstance(s, Send))
STATEMENTS, COMMITS = 6, 2


@dataclass
class Counted:
    statements: list[str] = field(default_factory=list)
    commits: int = 0


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[Counted]:
    counted = Counted()

    def statement(conn, cursor, sql, parameters, context, executemany) -> None:
        counted.statements.append(sql.split()[0].upper())

    def commit(conn) -> None:
        counted.commits += 1

    event.listen(engine.sync_engine, "before_cursor_execute", statement)
    event.listen(engine.sync_engine, "commit", commit)
    try:
        yield counted
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", statement)
        event.remove(engine.sync_engine, "commit", commit)


@dataclass
class Rig:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    path: SendPath

    async def customer(self) -> str:
        customer_id = unique("c")
        profile = CustomerProfile(
            timezone="UTC", email=f"{customer_id}@example.com", consent={"inapp": True}
        )
        async with self.sessions.begin() as session:
            await upsert_customer(session, customer_id, profile, datetime.now(UTC))
        return customer_id


@pytest.fixture
async def rig(database_url: str, tmp_path: Path) -> AsyncIterator[Rig]:
    settings = make_settings(database_url, tmp_path)  # no providers: the dev outbox
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    channels = build_channels(settings, sessions)
    yield Rig(
        engine, sessions, build_send_path(settings, sessions, None, channels, InMemoryCopyCache())
    )
    await engine.dispose()


def request(customer_id: str, step: Send, trigger: EventType, **changes) -> PrepareMessage:
    now = datetime.now(UTC).replace(hour=12)
    event = Event(
        event_id=unique("e"),
        customer_id=customer_id,
        type=trigger,
        occurred_at=now,
        properties={"cart_id": "cart-1", "items": [], "total": 10}
        if trigger == EventType.CART_UPDATED
        else {},
    )
    workflow_id = f"journey:{customer_id}"
    return PrepareMessage(
        idempotency_key=f"{workflow_id}:{event.event_id}:{step.id}",
        customer_id=customer_id,
        journey="welcome",
        workflow_id=workflow_id,
        step=step,
        trigger_event=event,
        decided_at=now,
        segment="warm",  # as the journey's facts bring it
        **changes,
    )


async def test_a_send_to_the_dev_outbox_is_six_statements_and_two_commits(rig: Rig) -> None:
    customer_id = await rig.customer()
    ask = request(customer_id, PLAIN_SEND, EventType.SIGNUP)

    with counting(rig.engine) as counted:
        decision = await rig.path.send(ask)

    assert (decision.status, decision.channel, decision.reason) == ("sent", "inapp", "delivered")
    assert decision.content is not None and decision.segment == "warm"
    assert len(counted.statements) <= STATEMENTS, counted.statements
    assert counted.commits <= COMMITS, counted.commits
    async with rig.sessions() as session:
        row = await session.get(MessageRow, decision.message_id)
        outbox = await session.scalar(
            select(OutboxRow).where(OutboxRow.message_id == decision.message_id)
        )
        attempts = list(
            await session.scalars(
                select(DeliveryAttemptRow.outcome).where(
                    DeliveryAttemptRow.message_id == decision.message_id
                )
            )
        )
    assert row is not None and outbox is not None
    assert (row.status, row.title, row.content_path) == ("sent", outbox.title, "template")
    assert row.delivered_at is not None and row.provider_ref == f"outbox:{decision.message_id}"
    assert attempts == ["sent"]


@pytest.fixture
async def picks_rig(database_url: str, tmp_path: Path) -> AsyncIterator[Rig]:
    """The rig with a recommendation model active and a live catalog on loopback that knows its
    products (names and prices of its own)."""
    catalog = start_fake_catalog()
    for sku, (name, price) in PRODUCTS.items():
        catalog.set_product(sku, price=price, stock=20, name=name, currency="USD")
    settings = make_settings(
        database_url, tmp_path, catalog=CatalogSettings(base_url=catalog.base_url)
    )
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    await load_model_tables(sessions, tiny_model(unique("tiny")), datetime.now(UTC))
    channels = build_channels(settings, sessions)
    path = build_send_path(settings, sessions, None, channels, InMemoryCopyCache())
    yield Rig(engine, sessions, path)
    await engine.dispose()
    catalog.close()


async def test_a_send_with_picks_adds_three_statements_and_one_commit(picks_rig: Rig) -> None:
    rig = picks_rig
    customer_id = await rig.customer()
    viewed = Event(
        event_id=unique("e"),
        customer_id=customer_id,
        type=EventType.PRODUCT_VIEWED,
        occurred_at=datetime.now(UTC),
        properties={"sku": "cereal"},
    )
    await store_event(rig.sessions, viewed, datetime.now(UTC))
    ask = request(customer_id, WELCOME_SEND, EventType.SIGNUP)

    with counting(rig.engine) as counted:
        decision = await rig.path.send(ask)

    assert decision.status == MessageStatus.SENT
    assert len(counted.statements) <= STATEMENTS + PICK_STATEMENTS, counted.statements
    assert counted.commits <= COMMITS + PICK_COMMITS, counted.commits
    async with rig.sessions() as session:
        outbox = await session.scalar(
            select(OutboxRow).where(OutboxRow.message_id == decision.message_id)
        )
        recorded = await recommended_in_message(session, decision.message_id)
    assert outbox is not None and len(recorded) >= 2
    # Ranked from the customer's own events (what they viewed is no pick), shown under the
    # live catalog's names, and recorded for the 48-hour rule.
    assert "cereal" not in {row.product_id for row in recorded}
    for row in recorded:
        assert PRODUCTS[row.product_id][0] in outbox.body, (row.product_id, outbox.body)


async def test_a_cart_send_checks_the_paid_cart_within_the_lock(rig: Rig) -> None:
    """The paid-cart check rides on the lock's statement; the step's copy experiment adds the
    read of its promoted winner."""
    customer_id = await rig.customer()
    ask = request(customer_id, CART_STAGE_1, EventType.CART_UPDATED, cart_id="cart-1")

    with counting(rig.engine) as counted:
        decision = await rig.path.send(ask)

    assert decision.status == MessageStatus.SENT and decision.experiment_id is not None
    assert len(counted.statements) <= STATEMENTS + 1, counted.statements
    assert counted.commits <= COMMITS


async def test_a_retried_send_delivers_nothing_twice_and_writes_nothing(rig: Rig) -> None:
    customer_id = await rig.customer()
    ask = request(customer_id, WELCOME_SEND, EventType.SIGNUP)
    first = await rig.path.send(ask)

    with counting(rig.engine) as counted:
        again = await rig.path.send(ask)

    assert again.message_id == first.message_id and again.status == MessageStatus.SENT
    assert [s for s in counted.statements if s != "SELECT"] == ["UPDATE"]  # the lock alone
