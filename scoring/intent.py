"""A customer's intent score from their own events and orders: the model, or the rules.

`score_customer` uses the model when the customer's latest session has at least
`min_session_page_views` views and ended at most `session_max_age_days` ago; otherwise (too
little data, a stale session that says nothing about today, or no model yet) the cold-start
rules below.

Model path. The XGBoost model gives the probability that the latest session ends in a purchase
(features: see scoring.journey_features). It cannot see order history or the cart, so those are
folded in as independent reasons to buy (a noisy-OR, which never lowers the model's figure):

    p = 1 - (1 - p_session) * (1 - rfm_weight * habit) * (1 - cart_weight * cart)
    habit = 0.5 ** (recency_days / recency_half_life_days) * (1 - 0.5 ** frequency)  (0 if none)
    cart  = min(cart items, cart_items_full_weight) / cart_items_full_weight

With the defaults a customer who ordered 3 times, last 7 days ago, adds a 37 % term and a cart
of 3+ items a 40 % term. Monetary value measures worth, not intent: it is reported, and used by
the rules, but not in this blend. The weights are priors, to be re-fitted once the system's own
label ("first order within 30 days") is recorded.

Rules path (the score is the sum of points, capped at 100; probability = score / 100, a
heuristic rather than a calibrated probability):

| signal | points |
|---|---|
| base | 10 |
| last order <= 30 / <= 90 / <= 365 days ago | 25 / 15 / 5 |
| paid orders >= 5 / >= 2 | 20 / 10 |
| total spend >= high_value_monetary | 5 |
| cart items >= cart_items_full_weight / >= 1 | 30 / 20 |
| product views in the last 7 days >= 10 / >= 3 | 10 / 5 |
| a message clicked in the last 30 days | 5 |

So a stranger is cold (10), a stranger with 3 items in the cart is warm (40), and a recent
repeat buyer with that cart is hot (10 + 25 + 10 + 30 = 75).
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from models.behaviour import BehaviourEvent, OrderSummary
from scoring.journey_features import (
    MESSAGE_CLICKED,
    PRODUCT_VIEWED,
    RFM,
    cart_depth,
    count_since,
    rfm_from_orders,
    session_features,
    split_sessions,
    view_count,
)
from scoring.model import IntentModel
from scoring.segments import IntentSegment, score_from_probability, segment_for_score
from scoring.settings import ScoringSettings

_BASE_POINTS = 10
_RECENCY_POINTS = ((30.0, 25), (90.0, 15), (365.0, 5))  # (at most this many days, points)
_FREQUENCY_POINTS = ((5, 20), (2, 10))  # (at least this many orders, points)
_HIGH_VALUE_POINTS = 5
_FULL_CART_POINTS, _ANY_CART_POINTS = 30, 20
_PRODUCT_VIEW_POINTS = ((10, 10), (3, 5))  # (at least this many views in 7 days, points)
_CLICK_POINTS = 5
_ENGAGEMENT_VIEW_WINDOW = timedelta(days=7)
_ENGAGEMENT_CLICK_WINDOW = timedelta(days=30)

_DEFAULT_SETTINGS = ScoringSettings()


class IntentScore(BaseModel):
    probability: float  # 0-1
    score: float  # 0-100, one decimal
    segment: IntentSegment
    source: Literal["model", "rules"]
    model_version: str | None
    # Every input the figure was computed from (model features, RFM, cart, blend terms).
    features: dict[str, float | None]


def score_customer(
    events: Sequence[BehaviourEvent],
    orders: Sequence[OrderSummary],
    now: datetime,
    model: IntentModel | None,
    settings: ScoringSettings = _DEFAULT_SETTINGS,
    timezone_name: str = "UTC",
) -> IntentScore:
    """Intent of one customer at `now` (events and orders after `now` are ignored, so a replayed
    decision sees what the original saw). Pure apart from the model's prediction."""
    past = sorted((e for e in events if e.occurred_at <= now), key=lambda e: e.occurred_at)
    paid = [order for order in orders if order.paid_at <= now]
    rfm = rfm_from_orders(paid, now)
    cart_items = cart_depth(past, paid)
    context: dict[str, float | None] = {
        "recency_days": rfm.recency_days,
        "frequency": float(rfm.frequency),
        "monetary": rfm.monetary,
        "cart_items": float(cart_items),
    }
    sessions = split_sessions(past, timedelta(minutes=settings.session_gap_minutes))
    latest = sessions[-1] if sessions else []
    fresh = bool(latest) and now - latest[-1].occurred_at <= timedelta(
        days=settings.session_max_age_days
    )
    if model is None or not fresh or view_count(latest) < settings.min_session_page_views:
        return _rules_score(past, rfm, cart_items, now, context, settings)

    returning = len(sessions) > 1 or rfm.frequency > 0
    features = session_features(latest, returning, ZoneInfo(timezone_name))
    p_session = model.predict_features(features)
    habit = _order_habit(rfm, settings.recency_half_life_days)
    cart = min(cart_items, settings.cart_items_full_weight) / settings.cart_items_full_weight
    p_habit, p_cart = settings.rfm_weight * habit, settings.cart_weight * cart
    probability = 1.0 - (1.0 - p_session) * (1.0 - p_habit) * (1.0 - p_cart)
    used: dict[str, float | None] = {**features, **context}
    used |= {"p_session": p_session, "p_order_habit": p_habit, "p_cart": p_cart}
    return _intent(probability, "model", model.version, used, settings)


def _order_habit(rfm: RFM, half_life_days: float) -> float:
    if rfm.recency_days is None:
        return 0.0
    return 0.5 ** (rfm.recency_days / half_life_days) * (1.0 - 0.5**rfm.frequency)


def _rules_score(
    past: Sequence[BehaviourEvent],
    rfm: RFM,
    cart_items: int,
    now: datetime,
    context: dict[str, float | None],
    settings: ScoringSettings,
) -> IntentScore:
    product_views = count_since(past, frozenset({PRODUCT_VIEWED}), now - _ENGAGEMENT_VIEW_WINDOW)
    clicks = count_since(past, frozenset({MESSAGE_CLICKED}), now - _ENGAGEMENT_CLICK_WINDOW)
    points = _BASE_POINTS
    if rfm.recency_days is not None:
        points += next((p for days, p in _RECENCY_POINTS if rfm.recency_days <= days), 0)
    points += next((p for least, p in _FREQUENCY_POINTS if rfm.frequency >= least), 0)
    if rfm.frequency and rfm.monetary >= settings.high_value_monetary:
        points += _HIGH_VALUE_POINTS
    if cart_items >= settings.cart_items_full_weight:
        points += _FULL_CART_POINTS
    elif cart_items >= 1:
        points += _ANY_CART_POINTS
    points += next((p for least, p in _PRODUCT_VIEW_POINTS if product_views >= least), 0)
    if clicks:
        points += _CLICK_POINTS
    features = context | {"product_views_7d": float(product_views), "clicks_30d": float(clicks)}
    return _intent(min(points, 100) / 100.0, "rules", None, features, settings)


def _intent(
    probability: float,
    source: Literal["model", "rules"],
    model_version: str | None,
    features: dict[str, float | None],
    settings: ScoringSettings,
) -> IntentScore:
    score = score_from_probability(probability)
    return IntentScore(
        probability=probability,
        score=score,
        segment=segment_for_score(score, settings.cold_below, settings.hot_above),
        source=source,
        model_version=model_version,
        features=features,
    )
