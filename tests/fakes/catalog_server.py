"""A product catalog service on loopback, speaking catalog.client's format, for tests.

catalog = start_fake_catalog()         # or the `fake_catalog` fixture
catalog.set_product("SKU-1", price="599", stock=3, name="Trail shoe", category="shoes")
catalog.set_price("SKU-1", "549")      # the price changes
catalog.go_down()                      # 503 for every request; come_back() undoes it
catalog.delay_seconds = 5              # answers late (timeouts)
catalog.hits["SKU-1"]                  # requests received per SKU
catalog.close()
"""

import json
import threading
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import pytest


class FakeCatalog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.products: dict[str, dict[str, Any]] = {}
        self.hits: Counter[str] = Counter()
        self.down_status: int | None = None
        self.delay_seconds = 0.0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{port}"

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
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _lookup(self, sku: str) -> dict[str, Any] | None:
        with self._lock:
            self.hits[sku] += 1
            product = self.products.get(sku)
            return dict(product) if product else None


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        fake: FakeCatalog = self.server.fake  # type: ignore[attr-defined]
        if not self.path.startswith("/products/"):
            self._send(404, {"error": "not found"})
            return
        sku = unquote(self.path.removeprefix("/products/"))
        product = fake._lookup(sku)
        if fake.delay_seconds and fake._stopping.wait(fake.delay_seconds):
            return
        if fake.down_status is not None:
            self._send(fake.down_status, {"error": "unavailable"})
        elif product is None:
            self._send(404, {"error": f"unknown sku {sku}"})
        else:
            self._send(200, product)

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


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
