"""Expected value of giving one offer to one customer.

    incremental = uplift x relative_uplift(offer) x probability_active
    EV          = incremental x expected margin - expected incentive cost

`uplift` is the customer's estimated lift in purchase probability from a reference winback
contact (see offers.uplift_model), for a customer who is still active; multiplying by the
probability the customer is still active (dormancy's repurchase probability) discounts customers
who have most likely left for good. The expected cost counts every redemption, including by
customers who would have bought anyway: per-redemption offers cost
cost x P(purchase with the offer), per-grant offers cost their full cost.
"""

from pydantic import BaseModel, ConfigDict, Field

from dormancy.labels import DormancyTier
from offers.catalogue import CostBasis, Offer
from offers.settings import OfferSettings


class CustomerOfferFeatures(BaseModel):
    """What the offer decision needs to know about one customer (no personal data)."""

    model_config = ConfigDict(frozen=True)

    customer_id: str
    tier: DormancyTier
    baseline_probability: float = Field(
        ge=0, le=1, description="P(purchase in the campaign window) with no offer"
    )
    uplift: float = Field(ge=-1, le=1, description="absolute lift of the reference contact")
    probability_active: float = Field(ge=0, le=1, description="P(still active), from dormancy")
    expected_order_value_cny: float = Field(gt=0)


class OfferValue(BaseModel):
    model_config = ConfigDict(frozen=True)

    offer_id: str
    purchase_probability: float  # with the offer
    incremental_probability: float
    expected_margin_cny: float  # of the incremental purchases
    expected_cost_cny: float
    expected_value_cny: float


def offer_value(
    features: CustomerOfferFeatures, offer: Offer, settings: OfferSettings
) -> OfferValue:
    base = features.baseline_probability
    incremental = features.uplift * offer.relative_uplift * features.probability_active
    incremental = min(max(incremental, -base), 1.0 - base)
    purchase = base + incremental
    margin = order_margin_cny(features, offer, settings)
    if offer.cost_basis is CostBasis.PER_REDEMPTION:
        cost = offer.cost_cny * purchase
    else:
        cost = offer.cost_cny
    return OfferValue(
        offer_id=offer.offer_id,
        purchase_probability=purchase,
        incremental_probability=incremental,
        expected_margin_cny=incremental * margin,
        expected_cost_cny=cost,
        expected_value_cny=incremental * margin - cost,
    )


def order_margin_cny(
    features: CustomerOfferFeatures, offer: Offer, settings: OfferSettings
) -> float:
    """Margin of the order the offer leads to; a threshold offer lifts the basket to its minimum."""
    order_value = max(features.expected_order_value_cny, offer.margin_rules.min_order_value_cny)
    return order_value * settings.gross_margin_rate


def within_margin_rules(
    features: CustomerOfferFeatures, offer: Offer, settings: OfferSettings
) -> bool:
    """The incentive may take at most its allowed share of the order's margin."""
    margin = order_margin_cny(features, offer, settings)
    return offer.cost_cny <= offer.margin_rules.max_cost_share_of_margin * margin
