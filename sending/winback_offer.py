"""Winback offers by expected value: the offer allocator fed with the customer's own history.

EV = uplift x expected margin x P(still active) - expected cost, under the budget of
OFFERS__MAX_COST_PER_REACTIVATION_CNY (4.00). The uplift model was fitted on the Hillstrom
e-mail experiment, so our customers are mapped onto its fields approximately: months since the
last order, spend over the past year (CNY at 7.1 per USD), new in the past year; the fields we
do not record (menswear/womenswear, area, purchase channel) take the commonest value.
Each customer must fit the budget on their own (no campaign-wide pooling yet), which is the
conservative reading of the budget rule.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import fmean

from dormancy.assessment import probability_still_active
from dormancy.labels import DormancyReason, DormancyTier
from dormancy.settings import DormancySettings
from journeys.facts_from_events import activity_summary
from models.behaviour import BehaviourEvent, OrderSummary
from offers.allocation import choose_offer
from offers.catalogue import Offer, OfferCatalogue
from offers.settings import OfferSettings
from offers.uplift_model import UpliftFeatures, UpliftModel, predict_one
from offers.value import CustomerOfferFeatures

CNY_PER_USD = 7.1
YEAR = timedelta(days=365)
# The Hillstrom converters' mean spend, in CNY: the order value of a customer with no history.
DEFAULT_ORDER_VALUE_CNY = 817.0


@dataclass(frozen=True)
class OfferBook:
    """The offer catalogue and the uplift model, loaded once per worker."""

    catalogue: OfferCatalogue
    uplift_model: UpliftModel


def winback_offer(
    customer_id: str,
    events: Sequence[BehaviourEvent],
    orders: Sequence[OrderSummary],
    tier: str,
    reason: str,
    now: datetime,
    catalogue: OfferCatalogue,
    uplift_model: UpliftModel,
    offer_settings: OfferSettings,
    dormancy_settings: DormancySettings,
    recently_given: Iterable[str],
) -> Offer | None:
    """The offer with the best expected value that fits the budget, or None (send without one)."""
    summary = activity_summary(customer_id, events, now)
    p_active = probability_still_active(summary, now, dormancy_settings) if summary else None
    baseline, uplift = predict_one(uplift_model, _uplift_features(orders, now))
    amounts = [order.amount for order in orders if order.amount > 0]
    features = CustomerOfferFeatures(
        customer_id=customer_id,
        tier=DormancyTier(tier),
        baseline_probability=min(max(baseline, 0.0), 1.0),
        uplift=min(max(uplift, -1.0), 1.0),
        probability_active=p_active if p_active is not None else 0.5,
        expected_order_value_cny=fmean(amounts) if amounts else DEFAULT_ORDER_VALUE_CNY,
    )
    return choose_offer(
        features,
        DormancyReason(reason),
        catalogue,
        offer_settings,
        now,
        exclude_offer_ids=recently_given,
    )


def _uplift_features(orders: Sequence[OrderSummary], now: datetime) -> UpliftFeatures:
    past = [order for order in orders if order.paid_at <= now]
    last = max((order.paid_at for order in past), default=now - YEAR)
    first = min((order.paid_at for order in past), default=now - YEAR)
    months = int((now - last).days // 30) + 1
    spend = sum(order.amount for order in past if order.paid_at >= now - YEAR) / CNY_PER_USD
    return UpliftFeatures(
        recency_months=min(max(months, 1), 12),
        history_spend=spend,
        bought_mens=False,
        bought_womens=False,
        newbie=first >= now - YEAR,
        area="urban",
        channel="web",
    )
