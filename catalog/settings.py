"""Settings of the live catalog client; the app nests this model (e.g. `CATALOG__BASE_URL`)."""

from pydantic import BaseModel, Field, SecretStr


class CatalogSettings(BaseModel):
    base_url: str = Field(
        "http://127.0.0.1:8081",
        description="Root of the catalog service; the client calls GET {base_url}/products/{sku}.",
    )
    api_key: SecretStr | None = Field(None, description="Sent as `Authorization: Bearer <key>`.")
    timeout_seconds: float = Field(2.0, gt=0, description="Per-request timeout.")
    cache_ttl_seconds: float = Field(
        300.0,
        ge=300.0,
        le=600.0,
        description="How long a live price/stock answer is reused (5-10 min, PRODUCT.md).",
    )
    unavailable_retry_seconds: float = Field(
        30.0,
        ge=0,
        description="After a failed lookup, answer 'unknown' for this long without calling again, "
        "so a down catalog costs one timeout per SKU and not one per message.",
    )
    low_stock_threshold: int = Field(
        5, ge=0, description="Stock at or below this is 'low_stock' (copy may show the figure)."
    )
