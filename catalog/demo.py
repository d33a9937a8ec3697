"""The demo catalogue: real products of the Complete Journey baskets (department, category,
product type, unit price = sales value / quantity) served in catalog.client's wire format, so the
dev stack's live price/stock re-check and its recommendations name the same real products.

The baskets carry no stock and no product names: stock is made up per product (deterministic,
about 3 % out of stock, written by `python -m lab.recommendations train`) and the product type
stands in for the name. Prices are the baskets' own, in US dollars.
"""

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse

DEMO_CATALOGUE = Path(__file__).resolve().parent / "demo_catalogue.csv"
CURRENCY = "USD"


@dataclass(frozen=True, slots=True)
class DemoProduct:
    sku: str
    category: str
    name: str
    price: Decimal
    stock: int


def load_demo_catalogue(path: Path = DEMO_CATALOGUE) -> dict[str, DemoProduct]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {
            row["product_id"]: DemoProduct(
                row["product_id"],
                row["category"],
                row["product_type"].capitalize(),
                Decimal(row["price"]),
                int(row["stock"]),
            )
            for row in csv.DictReader(handle)
        }


def demo_catalog_app(products: dict[str, DemoProduct]) -> FastAPI:
    """`GET /products/{sku}` over `products`; 404 for any other SKU."""
    app = FastAPI(title="Demo product catalog", docs_url=None, redoc_url=None)

    @app.get("/products/{sku}")
    async def product(sku: str) -> JSONResponse:
        found = products.get(sku)
        if found is None:
            return JSONResponse({"error": f"unknown sku {sku}"}, status_code=404)
        return JSONResponse(
            {
                "sku": found.sku,
                "price": float(found.price),
                "currency": CURRENCY,
                "stock": found.stock,
                "name": found.name,
                "category": found.category,
            }
        )

    return app
