"""Why a customer went quiet: price, category or service, scored from behaviour signals.

Each reason gets a score in [0, 1], a weighted sum of saturating signals (a signal at or beyond
its saturation point counts fully, so one extreme count cannot drown the others):

price    0.35 * coupon share of orders (saturates at 50 %)
       + 0.25 * price-filter uses (saturates at 5)
       + 0.20 * sale-page views (saturates at 10)
       + 0.20 * abandoned carts at or above the expensive-cart threshold (saturates at 2)
category 0.50 * out-of-stock hits (saturates at 3)
       + 0.50 * category depth = category page views per distinct category (saturates at 15):
         browsing deep into few categories and not buying suggests the assortment fell short
service  0.50 * support tickets (saturates at 2)
       + 0.50 * negative-sentiment events (saturates at 1: one complaint is already a strong sign)

The highest score wins. Ties go to service, then price, then category: a service failure is the
costliest to leave unanswered and its remedy (apology, priority support) costs little. If the best
score is below `reason_min_score` the evidence is too thin and the settings' default reason is
returned with `evidence=False`.
"""

from pydantic import BaseModel, ConfigDict

from dormancy.labels import DormancyReason
from dormancy.settings import DormancySettings
from dormancy.summary import ActivitySummary

_TIE_BREAK_ORDER = (DormancyReason.SERVICE, DormancyReason.PRICE, DormancyReason.CATEGORY)


class ReasonAssessment(BaseModel):
    model_config = ConfigDict(frozen=True)

    reason: DormancyReason
    scores: dict[DormancyReason, float]
    evidence: bool


def _saturate(value: float, full_at: float) -> float:
    return min(1.0, value / full_at)


def reason_scores(
    summary: ActivitySummary, settings: DormancySettings
) -> dict[DormancyReason, float]:
    coupon_share = summary.coupon_orders / summary.orders if summary.orders else 0.0
    expensive_carts = sum(
        1
        for value in summary.abandoned_cart_values_cny
        if value >= settings.expensive_cart_threshold_cny
    )
    depth = summary.category_page_views / max(1, summary.distinct_categories_viewed)
    price = (
        0.35 * _saturate(coupon_share, 0.5)
        + 0.25 * _saturate(summary.price_filter_uses, 5)
        + 0.20 * _saturate(summary.sale_page_views, 10)
        + 0.20 * _saturate(expensive_carts, 2)
    )
    category = 0.50 * _saturate(summary.out_of_stock_hits, 3) + 0.50 * _saturate(depth, 15)
    service = 0.50 * _saturate(summary.support_tickets, 2) + 0.50 * _saturate(
        summary.negative_sentiment_events, 1
    )
    # Rounded so that equal evidence compares equal despite float error and the tie rule applies.
    return {
        DormancyReason.PRICE: round(price, 6),
        DormancyReason.CATEGORY: round(category, 6),
        DormancyReason.SERVICE: round(service, 6),
    }


def classify_reason(summary: ActivitySummary, settings: DormancySettings) -> ReasonAssessment:
    scores = reason_scores(summary, settings)
    best = max(_TIE_BREAK_ORDER, key=lambda reason: scores[reason])  # max keeps the first tie
    if scores[best] < settings.reason_min_score:
        return ReasonAssessment(reason=settings.default_reason, scores=scores, evidence=False)
    return ReasonAssessment(reason=best, scores=scores, evidence=True)
