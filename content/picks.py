"""A recommendation as the copy sees it (chosen and live-checked by the send path)."""

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RecommendedPick(BaseModel):
    """A recommendation the message carries, as the send path chose and live-checked it: the
    product, its live price, and why (a reason code with the model's figures). Nothing personal:
    the figures are shares of buyers and counts, the names the catalog's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    product_id: str = Field(min_length=1)
    name: str = Field(min_length=1, description="the live catalog's name, else the product type")
    price: Decimal | None = Field(None, description="live price; None: the catalog could not say")
    currency: str = "CNY"
    kind: Literal["complement", "substitute", "bundle", "popular", "restock"]
    reason_code: Literal[
        "bought_with",
        "in_your_category",
        "popular",
        "in_stock_alternative",
        "time_to_restock",
        "bundle_offer",
    ]
    figures: dict[str, str | int | float] = Field(default_factory=dict)
    anchor_name: str | None = Field(None, description="the product a link or bundle rests on")
    bundle_price: Decimal | None = Field(None, description="main item + this one, offer applied")

    @property
    def share_percent(self) -> Decimal | None:
        """The share of the anchor's buyers, as the whole percent copy quotes."""
        share = self.figures.get("share")
        if not isinstance(share, int | float) or self.reason_code == "in_your_category":
            return None
        return Decimal(round(share * 100))
