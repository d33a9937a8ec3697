"""Offer settings, with the product's numbers as defaults (PRODUCT.md, journey 7 and "Offer")."""

from pathlib import Path

from pydantic import BaseModel, Field


class OfferSettings(BaseModel):
    max_cost_per_reactivation_cny: float = Field(
        default=4.00,
        gt=0,
        description="winback budget, in CNY: total expected incentive cost of a campaign's "
        "offers <= this x its expected reactivated customers; an offer that would break it is "
        "not given (PRODUCT.md: <= 4.00 CNY per reactivated customer)",
    )
    gross_margin_rate: float = Field(
        default=0.30,
        gt=0,
        le=1,
        description="share of an order's value that is margin before any incentive, for an "
        "offer's expected value (uplift x expected margin - incentive cost)",
    )
    service_non_monetary_first: bool = Field(
        default=True,
        description="a customer dormant for a service reason is offered only non-monetary "
        "benefits (priority support, extended returns) whenever one has positive value",
    )
    catalogue_path: Path | None = Field(
        default=None,
        description="the offer catalogue (JSON), the one source of truth of offers by id; "
        "unset: the one shipped in the package (offers/catalogue.json)",
    )
    uplift_model_path: Path | None = Field(
        default=None,
        description="the uplift model that predicts how much an offer raises a customer's "
        "chance to buy (JSON); unset: the one shipped in the package (offers/uplift_model.json)",
    )
