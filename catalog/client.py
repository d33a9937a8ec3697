"""Live price and stock from the product catalog service, with a short cache and a safe degradation.

Wire format (point `CatalogSettings.base_url` at any service that speaks it):

    GET {base_url}/products/{sku}            (sku URL-encoded)
    Authorization: Bearer <api_key>          (only when an api_key is configured)

    200 application/json
    {"sku": "SKU-1", "price": 599.0, "currency": "CNY", "stock": 12,
     "name": "Trail running shoe", "category": "shoes"}

    price: number >= 0 in major units of `currency` (ISO 4217); stock: integer >= 0 units sellable
    now. 404 means the SKU is unknown.

Cache: a successful answer is reused for `cache_ttl_seconds` (300-600 s). `fresh=True` skips the
cache (the send-time re-check) and stores what it read.

Degradation: when the service is down, times out, answers 4xx/5xx or a malformed body, the client
never raises; it returns a `ProductSnapshot` with `availability=unknown` and no price or stock.
Copy built from such a snapshot states no figure and uses "low stock" / "notify me when back"
wording, and a copy that does show a figure fails the re-check until the catalog answers again.
A failure is remembered for `unavailable_retry_seconds`, so a down catalog costs one timeout per
SKU in that window rather than one per message.
"""

import asyncio
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from types import TracebackType
from urllib.parse import quote

import httpx
import structlog
from pydantic import BaseModel, Field, ValidationError

from catalog.cache import TTLCache
from catalog.models import ProductSnapshot, availability_for, unknown_product
from catalog.settings import CatalogSettings

log = structlog.get_logger(__name__)


class _CatalogProduct(BaseModel):
    """The service's answer, validated before anything is shown to a customer."""

    sku: str
    price: Decimal = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3)
    stock: int = Field(ge=0)
    name: str = ""
    category: str | None = None


class CatalogClient:
    def __init__(
        self,
        settings: CatalogSettings,
        *,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._http = http or httpx.AsyncClient(timeout=settings.timeout_seconds)
        self._owns_http = http is None
        self._cache: TTLCache[ProductSnapshot] = TTLCache(clock)

    async def get(self, sku: str, *, fresh: bool = False) -> ProductSnapshot:
        """Live snapshot of one product; `availability=unknown` instead of an error."""
        if not fresh:
            cached = self._cache.get(sku)
            if cached is not None:
                return cached
        snapshot = await self._fetch(sku)
        ttl = (
            self._settings.cache_ttl_seconds
            if snapshot.known
            else self._settings.unavailable_retry_seconds
        )
        self._cache.put(sku, snapshot, ttl)
        return snapshot

    async def get_many(
        self, skus: Sequence[str], *, fresh: bool = False
    ) -> dict[str, ProductSnapshot]:
        """Snapshots of several products, fetched concurrently, keyed by SKU."""
        unique = list(dict.fromkeys(skus))
        snapshots = await asyncio.gather(*(self.get(sku, fresh=fresh) for sku in unique))
        return dict(zip(unique, snapshots, strict=True))

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> "CatalogClient":
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _fetch(self, sku: str) -> ProductSnapshot:
        url = f"{self._settings.base_url.rstrip('/')}/products/{quote(sku, safe='')}"
        headers = {}
        if self._settings.api_key is not None:
            headers["Authorization"] = f"Bearer {self._settings.api_key.get_secret_value()}"
        try:
            response = await self._http.get(
                url, headers=headers, timeout=self._settings.timeout_seconds
            )
        except httpx.TimeoutException:
            log.warning("catalog.degraded", sku=sku, cause="timeout")
            return unknown_product(sku)
        except httpx.HTTPError as exc:
            log.warning("catalog.degraded", sku=sku, cause=type(exc).__name__)
            return unknown_product(sku)
        if response.status_code != 200:
            log.warning("catalog.degraded", sku=sku, cause=f"http_{response.status_code}")
            return unknown_product(sku)
        try:
            product = _CatalogProduct.model_validate_json(response.content)
        except ValidationError as exc:
            log.warning("catalog.degraded", sku=sku, cause="bad_payload", errors=exc.error_count())
            return unknown_product(sku)
        return ProductSnapshot(
            sku=sku,
            name=product.name,
            category=product.category,
            price=product.price,
            currency=product.currency.upper(),
            stock=product.stock,
            availability=availability_for(product.stock, self._settings.low_stock_threshold),
        )
