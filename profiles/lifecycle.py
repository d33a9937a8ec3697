"""The lifecycle stage, by explicit rules read top to bottom (the first that holds wins):

1. churned: no interaction for `churned_days` (365), or no order for as long;
2. new: no order yet, first seen within `new_days` (7);
3. onboarding: no order yet and first seen within `onboarding_days` (30), or one order day so
   far, within it;
4. dormant_heavy / dormant_medium / dormant_light: days without an order (since first seen, for
   those who never ordered) from `dormant_heavy_days` (121) / `dormant_medium_days` (61) /
   `dormant_light_days` (30);
5. at_risk: health score below `at_risk_health` (40);
6. loyal: at least `loyal_orders_12m` (4) orders in 12 months;
7. active: everyone else.

The numbers are the business's (models.profiles.LifecycleThresholds). The dormant boundaries are
the winback tiers' (dormancy/tiers.py: 30-60 light, 61-120 medium, over 120 heavy), counted in days
without an order. A stage is also the `lifecycle_stage` tag, so a change of stage is recorded as
a tag change.
"""

from enum import StrEnum

from models.profiles import LifecycleThresholds
from profiles.features import Features


class Stage(StrEnum):
    NEW = "new"
    ONBOARDING = "onboarding"
    ACTIVE = "active"
    LOYAL = "loyal"
    AT_RISK = "at_risk"
    DORMANT_LIGHT = "dormant_light"
    DORMANT_MEDIUM = "dormant_medium"
    DORMANT_HEAVY = "dormant_heavy"
    CHURNED = "churned"


def lifecycle_stage(figures: Features, health: float, rules: LifecycleThresholds) -> Stage:
    seen = figures.days_since_first_seen
    idle = figures.days_since_last_activity
    without_order = (
        figures.days_since_last_order if figures.orders_total else figures.days_since_first_seen
    )
    if (idle is not None and idle >= rules.churned_days) or (
        without_order is not None and without_order >= rules.churned_days
    ):
        return Stage.CHURNED
    if not figures.orders_total and seen is not None and seen < rules.new_days:
        return Stage.NEW
    first_order = figures.days_since_first_order
    if (not figures.orders_total and seen is not None and seen < rules.onboarding_days) or (
        figures.order_days == 1 and first_order is not None and first_order < rules.onboarding_days
    ):
        return Stage.ONBOARDING
    if without_order is not None:
        for days, stage in (
            (rules.dormant_heavy_days, Stage.DORMANT_HEAVY),
            (rules.dormant_medium_days, Stage.DORMANT_MEDIUM),
            (rules.dormant_light_days, Stage.DORMANT_LIGHT),
        ):
            if without_order >= days:
                return stage
    if health < rules.at_risk_health:
        return Stage.AT_RISK
    if figures.orders_12m >= rules.loyal_orders_12m:
        return Stage.LOYAL
    return Stage.ACTIVE
