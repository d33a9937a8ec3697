"""A product catalog service on loopback, speaking catalog.client's format, for tests.

catalog = start_fake_catalog()         # or the `fake_catalog` fixture
catalog.set_product("SKU-1", price="599", stock=3, name="Trail shoe", category="shoes")
catalog.set_price("SKU-1", "549")      # the price changes
catalog.go_down()                      # 503 for every request; come_back() undoes it
catalog.delay_seconds = 5              # answers late (timeouts)
catalog.hits["SKU-1"]                  # requests received per SKU
catalog.close()
"""

import threading
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import pytest

from tests.fakes.loopback import JsonHandler, LoopbackServer


class FakeCatalog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.products: dict[str, dict[str, Any]] = {}
        self.hits: Counter[str] = Counter()
        self.down_status: int | None = None
        self.delay_seconds = 0.0
        self._loopback = LoopbackServer(self, _Handler)
        self.base_url = self._loopback.base_url

    def set_product(
        self,
        sku: str,
        *,
        price: str | Decimal,
        stock: int,
        name: str = "",
        category: str | None = None,
        currency: str = "CNY",
    ) -> None:
        with self._lock:
            self.products[sku] = {
                "sku": sku,
                "price": float(Decimal(price)),
                "currency": currency,
                "stock": stock,
                "name": name,
                "category": category,
            }

    def set_price(self, sku: str, price: str | Decimal) -> None:
        with self._lock:
            self.products[sku]["price"] = float(Decimal(price))

    def set_stock(self, sku: str, stock: int) -> None:
        with self._lock:
            self.products[sku]["stock"] = stock

    def go_down(self, status: int = 503) -> None:
        self.down_status = status

    def come_back(self) -> None:
        self.down_status = None

    def close(self) -> None:
        self._loopback.close()

    def _lookup(self, sku: str) -> dict[str, Any] | None:
        with self._lock:
            self.hits[sku] += 1
            product = self.products.get(sku)
            return dict(product) if product else None


class _Handler(JsonHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        fake: FakeCatalog = self.server.fake
        if not self.path.startswith("/products/"):
            self.send_json(404, {"error": "not found"})
            return
        sku = unquote(self.path.removeprefix("/products/"))
        product = fake._lookup(sku)
        if fake.delay_seconds and fake._loopback.stopping.wait(fake.delay_seconds):
            return
        if fake.down_status is not None:
            self.send_json(fake.down_status, {"error": "unavailable"})
        elif product is None:
            self.send_json(404, {"error": f"unknown sku {sku}"})
        else:
            self.send_json(200, product)


def start_fake_catalog() -> FakeCatalog:
    """Start a fake catalog service on a free loopback port."""
    return FakeCatalog()


@pytest.fixture
def fake_catalog() -> Iterator[FakeCatalog]:
    server = start_fake_catalog()
    try:
        yield server
    finally:
        server.close()
