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

    expensive_cart_threshold_cny: float = Field(
        default=200.0,
        gt=0,
        description="cart value, in CNY, at or above which an abandoned cart is a "
        "price-sensitivity signal for the dormancy reason",
    )
    reason_min_score: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="least score (0-1) the best dormancy reason (price, category, service) "
        "needs; below it the signals are too weak to name one and default_reason applies",
    )
    default_reason: DormancyReason = Field(
        default=DormancyReason.CATEGORY,
        description="dormancy reason when the signals are too weak: category (new arrivals) "
        "is the winback lever that costs no incentive",
    )

    still_active_model: MbgNbdParams = Field(
        default=MbgNbdParams(r=0.6372, alpha=51.17, a=0.8074, b=1.2283),
        description="the MBG/NBD model of the probability a dormant customer is still active, "
        "which weighs winback offers (days as the time unit); fitted on the first half of CDNOW "
        "by `journeyctl dormancy validate`, a reasonable prior for repeat-purchase retail until "
        "refitted on our own orders",
    )

    @model_validator(mode="after")
    def _ordered_boundaries(self) -> "DormancySettings":
        if not self.light_from_days <= self.light_to_days < self.medium_to_days:
            raise ValueError("need light_from_days <= light_to_days < medium_to_days")
        return self
