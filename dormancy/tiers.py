"""Dormancy tier from whole days away (from the last activity, or the last order).

Days are whole days, rounded down: an activity 30 days and 23 hours ago is 30 days ago.
With the default settings the tiers are
    active   0 <= days < 30
    light   30 <= days <= 60
    medium  60 <  days <= 120
    heavy         days >  120
so 30 and 60 are light, 61 and 120 medium, 121 heavy (PRODUCT.md: light 30-60, medium 60-120,
heavy > 120; a shared boundary goes to the lighter tier).
"""

from datetime import datetime, timedelta

from dormancy.labels import DormancyTier
from dormancy.settings import DormancySettings


def days_inactive(last_activity_at: datetime, now: datetime) -> int:
    """Whole days from the last activity to now; 0 if the activity is in the future (clock skew)."""
    if last_activity_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return max(0, (now - last_activity_at) // timedelta(days=1))


def tier_for_days(days: int, settings: DormancySettings) -> DormancyTier:
    if days < settings.light_from_days:
        return DormancyTier.ACTIVE
    if days <= settings.light_to_days:
        return DormancyTier.LIGHT
    if days <= settings.medium_to_days:
        return DormancyTier.MEDIUM
    return DormancyTier.HEAVY


def deeper(first: DormancyTier, second: DormancyTier) -> DormancyTier:
    order = list(DormancyTier)  # active, light, medium, heavy
    return max(first, second, key=order.index)
