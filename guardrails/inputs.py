"""What a guardrail decision looks at: the send asked for, the customer, and the contact history."""

from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from models.channels import Channel
from models.messages import MessageStatus
from models.preferences import CustomerPreferences

# A decided send counts as a contact from the moment it is recorded, before delivery is confirmed;
# a failed delivery never reached the customer, so it counts against nothing.
CONTACT_STATUSES: frozenset[MessageStatus] = frozenset({MessageStatus.PENDING, MessageStatus.SENT})


class Importance(StrEnum):
    NORMAL = "normal"
    IMPORTANT = "important"
    CRITICAL = "critical"


class JourneyKind(StrEnum):
    """Which journey-specific caps apply on top of the customer-wide ones."""

    STANDARD = "standard"
    WINBACK = "winback"
    HIGH_VALUE_CROSS_SELL = "high_value_cross_sell"


class WinbackTier(StrEnum):
    LIGHT = "light"  # 30-60 days inactive
    MEDIUM = "medium"  # 60-120 days
    HEAVY = "heavy"  # more than 120 days


def is_important(importance: Importance) -> bool:
    return importance in (Importance.IMPORTANT, Importance.CRITICAL)


class SendRequest(BaseModel):
    """One message a journey step wants to send."""

    model_config = ConfigDict(frozen=True)

    customer_id: str
    journey: str = Field(description="the journey's name, e.g. cart_abandonment")
    journey_kind: JourneyKind = JourneyKind.STANDARD
    workflow_id: str
    step: str
    trigger_event_id: str = Field(description="the event this message answers")
    channel: Channel = Field(description="the channel proposed for this message")
    fallback_channels: tuple[Channel, ...] = Field(
        default=(), description="other channels the step allows, most preferred first"
    )
    importance: Importance = Importance.NORMAL
    benefit_id: str | None = Field(
        default=None, description="the offer or coupon the message carries"
    )
    discount: bool = False
    cart_id: str | None = None
    cart_paid: bool = Field(default=False, description="the cart's order is paid, checked just now")
    winback_tier: WinbackTier | None = None
    deliver_by: AwareDatetime | None = Field(
        default=None,
        description="after this the message is worthless: a later deferral suppresses it",
    )

    @model_validator(mode="after")
    def _consistent(self) -> "SendRequest":
        if self.channel in self.fallback_channels:
            raise ValueError("fallback_channels must not repeat the proposed channel")
        if len(set(self.fallback_channels)) != len(self.fallback_channels):
            raise ValueError("fallback_channels must not repeat a channel")
        if self.cart_paid and self.cart_id is None:
            raise ValueError("cart_paid needs a cart_id")
        if (self.journey_kind == JourneyKind.WINBACK) != (self.winback_tier is not None):
            raise ValueError("winback_tier is required for winback journeys and only for them")
        return self

    @property
    def candidate_channels(self) -> tuple[Channel, ...]:
        return (self.channel, *self.fallback_channels)


class CustomerSnapshot(BaseModel):
    """The customer as the ledger transaction sees them, read under the customer's lock."""

    model_config = ConfigDict(frozen=True)

    timezone: str = Field(description="IANA name, e.g. Asia/Shanghai")
    consent: dict[Channel, bool] = Field(
        default_factory=dict, description="a channel missing here has no consent"
    )
    unsubscribed_channels: frozenset[Channel] = frozenset()
    blacklisted: bool = False
    silence_until: AwareDatetime | None = Field(
        default=None, description="silence stored on the customer, e.g. set when they unsubscribed"
    )
    preferences: CustomerPreferences = Field(
        default_factory=CustomerPreferences,
        description="the customer's own quiet hours, caps and channels off (the stricter of "
        "these and the business rules applies)",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown IANA time zone {name!r}") from err
        return name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class ContactRecord(BaseModel):
    """One earlier decision from the contact ledger, with the feedback it received."""

    model_config = ConfigDict(frozen=True)

    at: AwareDatetime = Field(description="when the decision was made")
    channel: Channel
    journey: str
    workflow_id: str
    step: str
    status: MessageStatus
    trigger_event_id: str
    benefit_id: str | None = None
    importance: Importance = Importance.NORMAL
    opened: bool = False
    clicked: bool = False
    complained_at: AwareDatetime | None = Field(
        default=None, description="when a complaint arrived"
    )

    @property
    def is_contact(self) -> bool:
        return self.status in CONTACT_STATUSES

    @property
    def engaged(self) -> bool:
        return self.opened or self.clicked
