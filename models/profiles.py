"""The customer profile's shared types: identities, the configuration the business tunes, and
the profile as the API shows it (docs/profile.md)."""

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

TagValue = str | int | float | bool


class IdentifierKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    WECHAT_OPENID = "wechat_openid"
    DEVICE = "device"


class MessageOutcome(BaseModel):
    """One ledger row, as the profile reads it: what was sent and what came back."""

    model_config = ConfigDict(frozen=True)

    created_at: datetime
    status: str
    channel: str | None
    opened_at: datetime | None = None
    clicked_at: datetime | None = None
    complained_at: datetime | None = None
    unsubscribed_at: datetime | None = None


class HealthWeights(BaseModel):
    """Points each part can give; they add up to 100."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    recency: float = Field(20, ge=0, le=100)
    frequency: float = Field(15, ge=0, le=100)
    purchases: float = Field(20, ge=0, le=100)
    support_resolution: float = Field(10, ge=0, le=100)
    support_sentiment: float = Field(10, ge=0, le=100)
    positive_feedback: float = Field(15, ge=0, le=100)
    negative_feedback: float = Field(10, ge=0, le=100)


class HealthThresholds(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    recency_zero_days: int = Field(
        90, ge=1, le=3650, description="no interaction this long: recency 0"
    )
    frequency_full_days: int = Field(
        10, ge=1, le=30, description="active days in the last 30 that give full frequency"
    )
    purchases_full: int = Field(
        3, ge=1, le=1000, description="orders in 90 days that give full points"
    )
    resolution_full_hours: float = Field(
        24, gt=0, le=8760, description="tickets solved within: full"
    )
    resolution_zero_hours: float = Field(
        120, gt=0, le=8760, description="tickets solved after: none"
    )
    engagement_full_rate: float = Field(
        0.3, gt=0, le=1, description="open-or-click rate of messages that gives full points"
    )
    negative_zero_count: int = Field(
        2,
        ge=1,
        le=1000,
        description="unsubscribes + complaints in 180 days that take all the points",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.resolution_full_hours >= self.resolution_zero_hours:
            raise ValueError("resolution_full_hours must be below resolution_zero_hours")
        return self


class LifecycleThresholds(BaseModel):
    """The explicit rules of the lifecycle stage (profiles/lifecycle.py reads them in order)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    new_days: int = Field(7, ge=1, le=3650, description="first seen within: new (no order yet)")
    onboarding_days: int = Field(30, ge=1, le=3650, description="first seen or first order within")
    dormant_light_days: int = Field(30, ge=1, le=3650, description="days without an order: light")
    dormant_medium_days: int = Field(61, ge=1, le=3650)
    dormant_heavy_days: int = Field(121, ge=1, le=3650)
    churned_days: int = Field(
        365, ge=1, le=3650, description="days without any interaction: churned"
    )
    loyal_orders_12m: int = Field(4, ge=1, le=1000)
    at_risk_health: float = Field(40, ge=0, le=100, description="health below: at risk")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        days = (
            self.dormant_light_days,
            self.dormant_medium_days,
            self.dormant_heavy_days,
            self.churned_days,
        )
        if list(days) != sorted(set(days)):
            raise ValueError("need dormant_light < dormant_medium < dormant_heavy < churned days")
        if self.new_days > self.onboarding_days:
            raise ValueError("new_days cannot exceed onboarding_days")
        return self


class ProfileConfig(BaseModel):
    """What the business tunes without a deploy: `PUT /v1/profile/config` (validated, every
    version kept with who changed it and why)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    health_weights: HealthWeights = HealthWeights()
    health_thresholds: HealthThresholds = HealthThresholds()
    lifecycle: LifecycleThresholds = LifecycleThresholds()

    @model_validator(mode="after")
    def _weights_add_up(self) -> Self:
        total = sum(self.health_weights.model_dump().values())
        if abs(total - 100) > 1e-6:
            raise ValueError(f"health weights must add up to 100 (they add up to {total:g})")
        return self


class ProfileConfigVersion(BaseModel):
    version: int = Field(description="0: the built-in defaults, never changed")
    config: ProfileConfig
    changed_at: datetime | None
    changed_by: str
    reason: str


class ProfileConfigChange(BaseModel):
    config: ProfileConfig
    reason: str = Field(min_length=1, max_length=200, description="why (kept in the history)")


class HealthPart(BaseModel):
    name: str
    value: float = Field(ge=0, le=1, description="0-1: how well the customer does on it")
    weight: float
    points: float = Field(description="value x weight: this part's share of the score")
    inputs: dict[str, Any] = Field(description="the figures it was computed from")


class HealthScore(BaseModel):
    score: float = Field(ge=0, le=100)
    parts: list[HealthPart]


class RfmCell(BaseModel):
    recency: int = Field(ge=1, le=5)
    frequency: int = Field(ge=1, le=5)
    monetary: int = Field(ge=1, le=5)
    cell: str = Field(description="e.g. R5F3M4")
    top20: bool = Field(description="monetary score 5: the top 20 % by spend over a year")


class Clv(BaseModel):
    """BG/NBD + Gamma-Gamma, with the shipped parameters (profiles/clv.py)."""

    probability_alive: float
    expected_purchases_365d: float
    expected_order_value: float
    value_365d: float
    model: str


class IdentityView(BaseModel):
    kind: IdentifierKind
    verified: bool
    linked_at: datetime
    source: str = Field(description="the event (or 'profile') that linked it")


class MergeView(BaseModel):
    merged_id: str
    into_id: str
    outcome: Literal["merged", "refused"]
    reason: str
    source: str
    at: datetime


class TagView(BaseModel):
    tag: str
    dimension: str
    value: TagValue
    version: int
    cause: str = Field(description="the event id, batch run or merge that set it")
    changed_at: datetime


class ProfileView(BaseModel):
    """`GET /v1/customers/{id}/profile`: identifiers as kinds and flags, never their values."""

    customer_id: str
    identities: list[IdentityView]
    merges: list[MergeView]
    tags: list[TagView]
    health: HealthScore | None
    stage: str | None
    rfm: RfmCell | None
    clv: Clv | None
    computed_at: datetime | None
    pending_update: bool = Field(description="an event's update is queued and not yet applied")
