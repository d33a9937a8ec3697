"""Dormancy settings, with the product's numbers as defaults (PRODUCT.md, journey 7)."""

from pydantic import BaseModel, Field, model_validator

from dormancy.labels import DormancyReason
from dormancy.still_active import MbgNbdParams


class DormancySettings(BaseModel):
    # Tier boundaries in whole days since last activity (see dormancy.tiers for inclusivity).
    light_from_days: int = Field(default=30, ge=1, description="first day of light dormancy")
    light_to_days: int = Field(default=60, description="last day of light dormancy (inclusive)")
    medium_to_days: int = Field(default=120, description="last day of medium dormancy (inclusive)")

    # The winback weekly caps per tier are the guardrails' (guardrails/settings.py), the one
    # place they are defined and enforced.

    # An abandoned cart at or above this value is a price-sensitivity signal.
    expensive_cart_threshold_cny: float = Field(default=200.0, gt=0)
    # Below this best reason score the signals are too weak to name a reason.
    reason_min_score: float = Field(default=0.2, ge=0, le=1)
    # Used when the signals are too weak: new arrivals is the lever that costs no incentive.
    default_reason: DormancyReason = DormancyReason.CATEGORY

    # Fitted on the first half of CDNOW by `journeyctl dormancy validate` (days as the time unit);
    # a reasonable prior for repeat-purchase retail until refitted on our own orders.
    still_active_model: MbgNbdParams = MbgNbdParams(r=0.6372, alpha=51.17, a=0.8074, b=1.2283)

    @model_validator(mode="after")
    def _ordered_boundaries(self) -> "DormancySettings":
        if not self.light_from_days <= self.light_to_days < self.medium_to_days:
            raise ValueError("need light_from_days <= light_to_days < medium_to_days")
        return self
