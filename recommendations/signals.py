"""A customer's history for ranking, from the events they sent: products viewed, carted and
paid for. Events carry SKUs only; the model's own rows add category and family."""

from collections.abc import Iterable

from models.tables import EventRow
from recommendations.history import Purchase

# Bundles are priced by an offer of the offer catalogue whose id starts so (offers/catalogue.json).
BUNDLE_OFFER_PREFIX = "BUNDLE_"


def history_from_events(events: Iterable[EventRow]) -> list[Purchase]:
    history = []
    for event in events:
        properties = event.properties or {}
        skus: list[object] = []
        if event.type == "product_viewed":
            skus = [properties.get("sku")]
        elif event.type in ("cart_updated", "order_paid"):
            items = properties.get("items")
            if isinstance(items, list):
                skus = [item.get("sku") for item in items if isinstance(item, dict)]
        for sku in skus:
            if isinstance(sku, str) and sku:
                history.append(Purchase(sku, "", "", event.occurred_at))
    return history
