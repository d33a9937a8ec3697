"""A customer's dormancy as the winback journey's facts read it (tier and reason), and the
probability they are still active, which the winback offer's expected value weighs by.

The tier counts the days since the last activity, or since the last order when that is deeper: a
customer who still browses but has not ordered for 30-60 days is in the light tier (PRODUCT.md:
"light 30-60 days, still browsing"), as the daily scan counts it (profiles/lifecycle.py).
"""

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from dormancy.labels import DormancyReason, DormancyTier
from dormancy.reasons import classify_reason
from dormancy.settings import DormancySettings
from dormancy.still_active import probability_alive
from dormancy.summary import ActivitySummary
from dormancy.tiers import days_inactive, deeper, tier_for_days


class DormancyAssessment(BaseModel):
    model_config = ConfigDict(frozen=True)

    customer_id: str
    days_inactive: int
    tier: DormancyTier
    reason: DormancyReason


def probability_still_active(
    summary: ActivitySummary, now: datetime, settings: DormancySettings
) -> float | None:
    """MBG/NBD P(alive) from the customer's order days; None for a customer who never ordered."""
    if summary.first_order_at is None or summary.last_order_at is None:
        return None
    recency = days_inactive(summary.first_order_at, summary.last_order_at)
    age = max(recency, days_inactive(summary.first_order_at, now))
    alive = probability_alive(settings.still_active_model, summary.order_days - 1, recency, age)
    return float(alive[()])


def assess_dormancy(
    summary: ActivitySummary, now: datetime, settings: DormancySettings
) -> DormancyAssessment:
    """Pure: the same summary, now and settings always give the same assessment."""
    days = days_inactive(summary.last_activity_at, now)
    tier = tier_for_days(days, settings)
    if summary.last_order_at is not None:
        tier = deeper(tier, tier_for_days(days_inactive(summary.last_order_at, now), settings))
    reason = classify_reason(summary, settings)
    return DormancyAssessment(
        customer_id=summary.customer_id,
        days_inactive=days,
        tier=tier,
        reason=reason.reason,
    )
