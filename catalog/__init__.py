"""Live price and stock from the product catalog service (see catalog.client for the format)."""

from catalog.client import CatalogClient
from catalog.models import Availability, ProductSnapshot, unknown_product
from catalog.settings import CatalogSettings

__all__ = [
    "Availability",
    "CatalogClient",
    "CatalogSettings",
    "ProductSnapshot",
    "unknown_product",
]
