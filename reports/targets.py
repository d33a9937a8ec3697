"""The business's baselines and targets (PRODUCT.md, "What is measured"), one per KPI."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Direction(StrEnum):
    AT_LEAST = "at_least"  # higher is better: the target is a floor
    AT_MOST = "at_most"  # lower is better: the target is a ceiling


class Unit(StrEnum):
    RATIO = "ratio"  # shown as a percentage
    CNY = "cny"


class Target(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str
    baseline: float
    target: float
    direction: Direction
    unit: Unit = Unit.RATIO

    def met_by(self, value: float | None) -> bool | None:
        if value is None:
            return None
        if self.direction is Direction.AT_LEAST:
            return value >= self.target
        return value <= self.target


FIRST_ORDER_CONVERSION = "first_order_conversion"
CROSS_CHANNEL_CTR = "cross_channel_ctr"
UNSUBSCRIBE_RATE = "unsubscribe_rate"
CART_RECOVERY = "cart_recovery"
WINBACK_RETURN_RATE = "winback_return_rate"
COST_PER_REACTIVATION = "cost_per_reactivation"
BLOCK_RATE = "block_rate"
MEMBER_CROSS_PURCHASE = "member_cross_purchase"

TARGETS: dict[str, Target] = {
    FIRST_ORDER_CONVERSION: Target(
        label="First-order conversion within 30 days of signup",
        baseline=0.08,
        target=0.18,
        direction=Direction.AT_LEAST,
    ),
    CROSS_CHANNEL_CTR: Target(
        label="Cross-channel click-through rate",
        baseline=0.06,
        target=0.078,
        direction=Direction.AT_LEAST,
    ),
    UNSUBSCRIBE_RATE: Target(
        label="SMS + email unsubscribe rate",
        baseline=0.008,
        target=0.005,
        direction=Direction.AT_MOST,
    ),
    CART_RECOVERY: Target(
        label="Cart recovery (paid within 24 h)",
        baseline=0.12,
        target=0.20,
        direction=Direction.AT_LEAST,
    ),
    WINBACK_RETURN_RATE: Target(
        label="Winback return rate",
        baseline=0.14,
        target=0.25,
        direction=Direction.AT_LEAST,
    ),
    COST_PER_REACTIVATION: Target(
        label="Incentive cost per reactivated customer",
        baseline=5.6,
        target=4.0,
        direction=Direction.AT_MOST,
        unit=Unit.CNY,
    ),
    BLOCK_RATE: Target(
        label="Block rate (complaints + bounces)",
        baseline=0.023,
        target=0.016,
        direction=Direction.AT_MOST,
    ),
    MEMBER_CROSS_PURCHASE: Target(
        label="Member cross-purchase",
        baseline=0.15,
        target=0.22,
        direction=Direction.AT_LEAST,
    ),
}
