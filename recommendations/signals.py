"""A customer's history for ranking, from the events they sent: products viewed, carted and
paid for. Events carry SKUs only; the model's own rows add category and family."""

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models.tables import EventRow
from recommendations.history import Purchase
from storage.events import events_for_customer

# The events that name products: the item viewed, the cart's and the order's items.
PRODUCT_EVENTS = ("product_viewed", "cart_updated", "order_paid")
HISTORY = timedelta(days=365)  # how far back a customer's picks rank from

# Bundles are priced by an offer of the offer catalogue whose id starts so (offers/catalogue.json).
BUNDLE_OFFER_PREFIX = "BUNDLE_"


def skus_in(properties: Mapping[str, Any]) -> list[str]:
    """The products an event's properties name: its `sku`, and its `items`' skus."""
    skus = [properties.get("sku")]
    items = properties.get("items")
    if isinstance(items, list):
        skus += [item.get("sku") for item in items if isinstance(item, dict)]
    return [sku for sku in skus if isinstance(sku, str) and sku]


def history_from_events(events: Iterable[EventRow]) -> list[Purchase]:
    return history_from(
        (event.properties or {}, event.occurred_at)
        for event in events
        if event.type in PRODUCT_EVENTS
    )


def history_from(events: Iterable[tuple[Mapping[str, Any], datetime]]) -> list[Purchase]:
    """Product events' (properties, time) as the ranker's history: one purchase per SKU named."""
    return [Purchase(sku, "", "", at) for properties, at in events for sku in skus_in(properties)]


async def customer_history(
    session: AsyncSession, customer_id: str, now: datetime
) -> list[Purchase]:
    """The products the customer viewed, carted and paid for in the last year, read from only
    the events that name products (a send's picks and the preview rank from this)."""
    events = await events_for_customer(
        session, customer_id, since=now - HISTORY, types=PRODUCT_EVENTS
    )
    return history_from_events(events)
