"""A stack of its own for the send-path recommendation tests: a fresh SQLite database with the
hand-made model loaded (tests/recommendations/model_builder.py), a live catalog on loopback
that knows those products, and the API and a worker on the session's Temporal server."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from catalog import CatalogSettings
from models.tables import OutboxRow, RecommendedItemRow
from recommendations.tables import load_model_tables
from storage.database import create_engine, migrate, session_factory
from tests.conftest import Stack, mail_settings, unique, worker_stack
from tests.fakes.catalog_server import FakeCatalog, start_fake_catalog
from tests.journey_helpers import midday_timezone, put_customer
from tests.recommendations.model_builder import tiny_model
from tests.smtp_server import SmtpSink

# The live catalog's names and prices (US dollars, as the demo catalogue): not the model's.
PRODUCTS = {
    "milk": ("Whole milk", "1.35"),
    "oatmilk": ("Oat milk", "2.60"),
    "skimmilk": ("Skim milk", "1.40"),
    "yogurt": ("Greek yogurt", "0.95"),
    "cereal": ("Corn flakes", "3.10"),
    "granola": ("Crunchy granola", "4.40"),
    "bananas": ("Bananas", "0.65"),
    "strawberries": ("Strawberries", "3.55"),
    "chips": ("Potato chips", "2.05"),
    "candles": ("Scented candles", "6.10"),
}


@asynccontextmanager
async def picks_stack(
    temporal_env: WorkflowEnvironment, tmp_path: Path, smtp: SmtpSink, **overrides: object
) -> AsyncIterator[tuple[Stack, FakeCatalog]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'picks.db'}"
    await migrate(url)
    engine = create_engine(url)
    await load_model_tables(session_factory(engine), tiny_model(unique("tiny")), datetime.now(UTC))
    await engine.dispose()
    catalog = start_fake_catalog()
    for sku, (name, price) in PRODUCTS.items():
        catalog.set_product(sku, price=price, stock=20, name=name, currency="USD")
    settings = mail_settings(
        url, tmp_path, smtp, catalog=CatalogSettings(base_url=catalog.base_url), **overrides
    )
    try:
        async with worker_stack(temporal_env, settings) as stack:
            yield stack, catalog
    finally:
        catalog.close()


async def shopper(stack: Stack, **profile: object) -> str:
    customer_id = unique("c")
    await put_customer(stack, customer_id, timezone=midday_timezone(), **profile)
    return customer_id


async def outbox(stack: Stack, customer_id: str) -> list[OutboxRow]:
    async with stack.sessions() as session:
        query = select(OutboxRow).where(OutboxRow.customer_id == customer_id)
        return list((await session.scalars(query.order_by(OutboxRow.id))).all())


async def recorded(stack: Stack, message_id: str) -> list[RecommendedItemRow]:
    async with stack.sessions() as session:
        query = select(RecommendedItemRow).where(RecommendedItemRow.message_id == message_id)
        return list((await session.scalars(query.order_by(RecommendedItemRow.rank))).all())


def names_in(body: str) -> set[str]:
    """The products of PRODUCTS a message shows as picks: the lines after the picks' intro (on
    a push, the intro's own line) that start with the product; a reason may name its anchor."""
    intro = next((m for m in ("Picked for you:", "Popular right now:") if m in body), None)
    if intro is None:
        return set()
    lines = [line.strip() for line in body.split(intro, 1)[1].splitlines()]
    return {
        sku
        for sku, (name, _) in PRODUCTS.items()
        for line in lines
        if line.startswith(f"{name}:") or line.startswith(f"{name},")
    }
