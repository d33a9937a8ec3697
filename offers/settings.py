"""Offer settings, with the product's numbers as defaults (PRODUCT.md, journey 7 and "Offer")."""

from pathlib import Path

from pydantic import BaseModel, Field


class OfferSettings(BaseModel):
    # Budget: total expected incentive cost <= this x expected reactivated customers (campaign).
    max_cost_per_reactivation_cny: float = Field(default=4.00, gt=0)
    # Share of an order's value that is margin before any incentive.
    gross_margin_rate: float = Field(default=0.30, gt=0, le=1)
    # Service-reason dormancy gets a non-monetary benefit whenever one has positive value.
    service_non_monetary_first: bool = True
    # None: the catalogue shipped in the package (offers/catalogue.json).
    catalogue_path: Path | None = None
    # None: the uplift model shipped in the package (offers/uplift_model.json).
    uplift_model_path: Path | None = None
