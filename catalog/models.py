"""What the rest of the system knows about a product at one moment: live price and stock."""

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

_CENT = Decimal("0.01")


class Availability(StrEnum):
    IN_STOCK = "in_stock"
    LOW_STOCK = "low_stock"
    OUT_OF_STOCK = "out_of_stock"
    # The catalog did not answer (down, timeout, unknown SKU): copy must not show figures and
    # uses "low stock" / "notify me when back" wording instead.
    UNKNOWN = "unknown"


class ProductSnapshot(BaseModel):
    """A product as the live catalog reported it; no price or stock when availability is unknown."""

    model_config = ConfigDict(frozen=True)

    sku: str = Field(min_length=1)
    name: str = ""
    category: str | None = None
    price: Decimal | None = Field(None, ge=0)
    currency: str = "CNY"
    stock: int | None = Field(None, ge=0)
    availability: Availability = Availability.UNKNOWN

    @field_validator("price")
    @classmethod
    def _to_cents(cls, price: Decimal | None) -> Decimal | None:
        # One representation per amount, so equal prices hash to equal contexts.
        return None if price is None else price.quantize(_CENT)

    @property
    def known(self) -> bool:
        return self.availability is not Availability.UNKNOWN


def unknown_product(sku: str, name: str = "", category: str | None = None) -> ProductSnapshot:
    """The degraded answer: the product exists for the copy, its figures do not."""
    return ProductSnapshot(sku=sku, name=name, category=category)


def availability_for(stock: int, low_stock_threshold: int) -> Availability:
    if stock <= 0:
        return Availability.OUT_OF_STOCK
    if stock <= low_stock_threshold:
        return Availability.LOW_STOCK
    return Availability.IN_STOCK
