"""picks_for against the real database (SQLite and PostgreSQL): one read of the neighbour
tables, the 48-hour no-repeat rule across messages, the opt-out, live stock and bundle prices
from the demo catalog service, repurchase of consumables, and the atomic swap of versions."""

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog import CatalogClient, CatalogSettings
from catalog.demo import DemoProduct, demo_catalog_app
from offers.catalogue import load_catalogue
from recommendations.history import Purchase
from recommendations.picks import PickRules
from recommendations.ranker import Kind, Reason
from recommendations.serving import PickRequest, bundle_offer_for, picks_for, record_picks
from recommendations.tables import DecodedLists, load_model_tables
from storage import recommendations as store
from storage.database import create_engine, session_factory
from tests.conftest import unique
from tests.recommendations.model_builder import ITEMS, tiny_model

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
NO_EXPLORATION = PickRules(explore_rate=0.0)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    await load_model_tables(sessions, tiny_model(unique("tiny")), NOW)
    yield sessions
    await engine.dispose()


def viewed(*skus: str, days_ago: int = 1) -> list[Purchase]:
    """A history as events give it: SKUs only, no category (the model's rows fill it in)."""
    return [Purchase(sku, "", "", NOW - timedelta(days=days_ago)) for sku in skus]


async def pick(sessions, customer: str, history, seed: str = "m-1", **options):
    options.setdefault("now", NOW)
    rules = options.pop("rules", NO_EXPLORATION)
    live = options.pop("live", None)
    async with sessions() as session:
        return await picks_for(
            session, PickRequest(customer, history, seed=seed, **options), live, rules
        )


async def test_history_of_skus_gets_complements_with_reasons_in_one_read(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    statements: list[str] = []
    engine = create_engine(database_url)
    event.listen(
        engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_: statements.append(statement),
    )
    async with session_factory(engine)() as session:
        result = await picks_for(
            session,
            PickRequest(unique("c"), viewed("cereal"), seed="m", now=NOW),
            None,
            NO_EXPLORATION,
        )
    await engine.dispose()
    assert [s for s in statements if "recommendation_neighbours" in s].__len__() == 1
    first = result.picks[0].pick
    assert (first.product_id, first.kind, first.reason) == (
        "milk",
        Kind.COMPLEMENT,
        Reason.BOUGHT_WITH,
    )
    assert first.figures == {"anchor": "cereal", "share": 0.8, "buyers": 50}
    assert result.personalised and result.model_version.startswith("tiny")
    assert "cereal" not in [s.pick.product_id for s in result.picks]


async def test_no_item_twice_to_a_customer_within_48_hours_across_messages(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    customer = unique("c")
    history = viewed("cereal")
    first = await pick(sessions, customer, history, seed="welcome:m-1", k=3)
    async with sessions.begin() as session:
        await record_picks(session, "welcome:m-1", customer, first, NOW)
        await record_picks(session, "welcome:m-1", customer, first, NOW)  # a retried send
    shown = {s.pick.product_id for s in first.picks}
    # Another journey's message on another channel, a day later: none of the first picks.
    second = await pick(
        sessions, customer, history, seed="cross_sell:m-2", k=3, now=NOW + timedelta(hours=24)
    )
    assert second.picks and shown.isdisjoint(s.pick.product_id for s in second.picks)
    # After 48 hours they may come back.
    later = await pick(
        sessions, customer, history, seed="cross_sell:m-3", k=3, now=NOW + timedelta(hours=49)
    )
    assert shown & {s.pick.product_id for s in later.picks}
    async with sessions() as session:
        stored = await store.recommended_in_message(session, "welcome:m-1")
    assert [(r.product_id, r.rank, r.kind) for r in stored] == [
        (s.pick.product_id, s.pick.rank, s.pick.kind.value) for s in first.picks
    ]


async def test_a_retry_with_the_same_message_id_picks_the_same_items(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    customer = unique("c")
    runs = [
        await pick(sessions, customer, viewed("cereal", "chips"), seed="m-9", rules=PickRules())
        for _ in range(2)
    ]
    assert runs[0].picks == runs[1].picks


async def test_opt_out_gives_popular_items_and_nothing_personal(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    customer = unique("c")
    async with sessions.begin() as session:
        await store.set_personalised(session, customer, False, NOW)
    result = await pick(sessions, customer, viewed("cereal"))
    assert not result.personalised
    assert {(s.pick.kind, s.pick.reason) for s in result.picks} == {(Kind.POPULAR, Reason.POPULAR)}
    assert [s.pick.product_id for s in result.picks][:2] == ["milk", "bananas"]


async def test_a_consumable_comes_back_when_its_repurchase_cycle_is_due(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    fresh = await pick(sessions, unique("c"), viewed("milk", days_ago=2), k=9)
    due = await pick(sessions, unique("c"), viewed("milk", days_ago=10), k=9)
    assert "milk" not in [s.pick.product_id for s in fresh.picks]
    restock = next(s.pick for s in due.picks if s.pick.product_id == "milk")
    assert (restock.kind, restock.reason) == (Kind.RESTOCK, Reason.TIME_TO_RESTOCK)
    assert restock.figures == {"days_since": 10, "cycle_days": 7}


def demo_catalog(stock: dict[str, int], prices: dict[str, str] | None = None) -> CatalogClient:
    price = {pid: Decimal(str(facts[3])) for pid, facts in ITEMS.items()} | {
        pid: Decimal(value) for pid, value in (prices or {}).items()
    }
    products = {
        pid: DemoProduct(pid, facts[1], facts[2], price[pid], stock.get(pid, 50))
        for pid, facts in ITEMS.items()
    }
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=demo_catalog_app(products)))
    return CatalogClient(CatalogSettings(base_url="http://catalog"), http=http)


async def test_out_of_stock_picks_give_way_to_in_stock_substitutes_at_about_their_price(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Milk (1.20) is out: skim milk (1.30) stands in, not oat milk (2.50), which more customers
    buy but costs twice as much; with skim milk out too, oat milk does."""
    async with demo_catalog({"milk": 0}) as live:
        result = await pick(sessions, unique("c"), viewed("cereal"), live=live)
    shown = {s.pick.product_id: s for s in result.picks}
    assert "milk" not in shown and "oatmilk" not in shown
    skim = shown["skimmilk"]
    assert (skim.pick.kind, skim.pick.reason, skim.pick.figures) == (
        Kind.SUBSTITUTE,
        Reason.IN_STOCK_ALTERNATIVE,
        {"replaces": "milk"},
    )
    assert skim.price == Decimal("1.30") and skim.availability == "in_stock"
    assert all(s.price is not None for s in result.picks)

    async with demo_catalog({"milk": 0, "skimmilk": 0}) as live:
        result = await pick(sessions, unique("c"), viewed("cereal"), live=live)
    shown = {s.pick.product_id: s for s in result.picks}
    assert shown["oatmilk"].pick.figures == {"replaces": "milk"}


async def test_a_pick_priced_at_nothing_is_never_shown(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # Milk in stock but at 0.00 (the demo catalogue has products only ever given away).
    async with demo_catalog({}, prices={"milk": "0.00"}) as live:
        result = await pick(sessions, unique("c"), viewed("cereal"), live=live)
    shown = {s.pick.product_id: s for s in result.picks}
    assert "milk" not in shown
    assert shown["skimmilk"].pick.figures == {"replaces": "milk"}
    assert all(s.price is not None and s.price > 0 for s in result.picks)


async def test_a_bundle_is_priced_by_the_offer_from_live_prices(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    offer = bundle_offer_for(load_catalogue(), "cross_sell", NOW)
    assert offer is not None and offer.offer_id == "BUNDLE_COMPLEMENT_10"
    assert bundle_offer_for(load_catalogue(), "cart_abandonment", NOW) is None
    async with demo_catalog({}) as live:
        result = await pick(sessions, unique("c"), viewed("cereal"), live=live, bundle_offer=offer)
    bundle = result.picks[0]
    assert (bundle.pick.product_id, bundle.pick.kind, bundle.pick.offer_id) == (
        "strawberries",
        Kind.BUNDLE,
        "BUNDLE_COMPLEMENT_10",
    )
    assert bundle.pick.figures["anchor"] == "cereal"
    # cereal 3.00 + strawberries 3.50 less 10 %
    assert bundle.bundle_price == Decimal("6.15")


async def test_a_new_version_replaces_the_active_one_atomically(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first, second, third = (unique("v") for _ in range(3))
    for version in (first, second):
        assert (await load_model_tables(sessions, tiny_model(version), NOW))[0]
    assert not (await load_model_tables(sessions, tiny_model(second), NOW))[0]  # active already
    assert (await pick(sessions, unique("c"), viewed("cereal"))).model_version == second
    await load_model_tables(sessions, tiny_model(third), NOW)
    async with sessions() as session:
        versions = {row.version: row.active for row in await store.loaded_versions(session)}
    assert versions == {second: False, third: True}  # the one before kept for a rollback
    await store.activate(sessions, second)
    assert (await pick(sessions, unique("c"), viewed("cereal"))).model_version == second


async def test_decoded_lists_follow_a_version_loaded_again_with_new_content(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    decoded = DecodedLists()
    version, other = unique("v"), unique("v")
    await load_model_tables(sessions, tiny_model(version), NOW)

    async def first_pick() -> str:
        async with sessions() as session:
            request = PickRequest(unique("c"), viewed("cereal"), seed="m", now=NOW)
            result = await picks_for(session, request, None, NO_EXPLORATION, decoded)
        return result.picks[0].pick.reason

    assert await first_pick() == Reason.BOUGHT_WITH
    await load_model_tables(sessions, tiny_model(other), NOW)
    # The same version name again, retrained without cereal's links: loaded afresh.
    retrained = tiny_model(version)
    retrained = replace(
        retrained, links={k: v for k, v in retrained.links.items() if k != "cereal"}
    )
    assert (await load_model_tables(sessions, retrained, NOW + timedelta(minutes=1)))[0]
    assert await first_pick() != Reason.BOUGHT_WITH


async def test_a_warm_worker_reads_only_the_version_and_the_customer_state(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    """With the process's DecodedLists holding a customer's lists, a lookup is one round trip
    (opt-out, recent picks, active version): no neighbour list is read again, and the picks are
    those of a lookup that reads everything."""
    statements: list[str] = []
    engine = create_engine(database_url)
    event.listen(
        engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_: statements.append(statement),
    )
    decoded = DecodedLists()

    async def lookup(customer: str, history: list[Purchase], cache: DecodedLists | None):
        async with session_factory(engine)() as session:
            request = PickRequest(customer, history, seed="m", now=NOW)
            return await picks_for(session, request, None, NO_EXPLORATION, cache)

    await lookup(unique("c"), viewed("cereal", "milk"), decoded)
    assert len([s for s in statements if "recommendation_neighbours" in s]) == 1
    statements.clear()
    warm = await lookup(unique("c"), viewed("milk", "cereal"), decoded)
    assert len(statements) == 1 and "recommendation_neighbours" not in statements[0]
    # A product the first lookup did not read: only its lists are fetched.
    await lookup(unique("c"), viewed("cereal", "strawberries"), decoded)
    assert len([s for s in statements if "recommendation_neighbours" in s]) == 1
    cold = await lookup(unique("c"), viewed("milk", "cereal"), None)
    await engine.dispose()
    assert [s.pick for s in warm.picks] == [s.pick for s in cold.picks] and warm.picks
