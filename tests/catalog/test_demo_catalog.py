"""The demo catalogue: the shipped model's real products, served in the catalog wire format."""

import httpx

from catalog import Availability, CatalogClient, CatalogSettings
from catalog.demo import demo_catalog_app, load_demo_catalogue
from recommendations.model import load_model


async def test_every_recommendable_product_has_a_live_price_and_stock() -> None:
    products = load_demo_catalogue()
    model = load_model()
    assert set(model.items) <= set(products)
    out_of_stock = sum(p.stock == 0 for p in products.values()) / len(products)
    assert 0.01 < out_of_stock < 0.06  # a few, so substitution shows in the dev stack
    sku = next(iter(model.links["*popular"])).target
    transport = httpx.ASGITransport(app=demo_catalog_app(products))
    async with CatalogClient(
        CatalogSettings(base_url="http://demo"), http=httpx.AsyncClient(transport=transport)
    ) as catalog:
        found = await catalog.get(sku)
        unknown = await catalog.get("sku-1")
    assert found.price == products[sku].price and found.currency == "USD"
    assert found.category == model.items[sku].category
    assert found.availability in (Availability.IN_STOCK, Availability.LOW_STOCK)
    assert unknown.availability is Availability.UNKNOWN
