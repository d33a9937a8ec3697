"""What a guardrail decision answers: send (on which channel), defer (until when) or suppress."""

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, model_validator

from models.channels import Channel
from models.preferences import RuleSource


class Outcome(StrEnum):
    SEND = "send"
    DEFER = "defer"
    SUPPRESS = "suppress"


class Rule(StrEnum):
    """The rule that decided; `passed` when every rule let the message through unchanged."""

    PASSED = "passed"
    BLACKLIST = "blacklist"
    DEDUPE = "dedupe"
    ORDER_STATUS = "order_status"
    BENEFIT_FREQUENCY = "benefit_frequency"
    CONSENT = "consent"
    UNSUBSCRIBE = "unsubscribe"
    CHANNEL_PREFERENCE = "channel_preference"  # the customer turned the channel off
    SILENCE = "silence"
    SMS_WEEKLY_CAP = "sms_weekly_cap"
    WEEKLY_CAP = "weekly_cap"
    DAILY_CAP = "daily_cap"
    WINBACK_WEEKLY_CAP = "winback_weekly_cap"
    CROSS_SELL_WEEKLY_CAP = "cross_sell_weekly_cap"
    CROSS_SELL_IMPORTANT_GAP = "cross_sell_important_gap"
    CROSS_SELL_JOURNEY_GAP = "cross_sell_journey_gap"
    QUIET_HOURS = "quiet_hours"
    DELIVER_BY = "deliver_by"


class Reason(StrEnum):
    ALLOWED = "allowed"
    REROUTED = "rerouted"  # sent on a fallback channel; `rule` says why the proposed one was not
    BLACKLISTED = "blacklisted"
    DUPLICATE_TRIGGER = "duplicate_trigger"
    DISCOUNT_ON_PAID_CART = "discount_on_paid_cart"
    CART_ALREADY_PAID = "cart_already_paid"
    BENEFIT_REPEATED = "benefit_repeated"
    NO_CONSENT = "no_consent"
    UNSUBSCRIBED = "unsubscribed"
    CHANNEL_OFF = "channel_off"
    SILENCE_UNOPENED = "silence_unopened"
    SILENCE_COMPLAINT = "silence_complaint"
    SILENCE_STORED = "silence_stored"
    SMS_WEEKLY_CAP = "sms_weekly_cap"
    WEEKLY_CAP = "weekly_cap"
    DAILY_CAP = "daily_cap"
    WINBACK_WEEKLY_CAP = "winback_weekly_cap"
    CROSS_SELL_WEEKLY_CAP = "cross_sell_weekly_cap"
    CROSS_SELL_IMPORTANT_GAP = "cross_sell_important_gap"
    CROSS_SELL_JOURNEY_GAP = "cross_sell_journey_gap"
    QUIET_HOURS = "quiet_hours"
    PAST_DELIVER_BY = "past_deliver_by"


class ChannelRefusal(BaseModel):
    """Why one candidate channel was passed over, kept for the audit log."""

    model_config = ConfigDict(frozen=True)

    channel: Channel
    rule: Rule
    reason: Reason
    until: AwareDatetime | None = None  # when the channel reopens; None when it does not
    source: RuleSource = RuleSource.BUSINESS


class GuardrailDecision(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: Outcome
    rule: Rule
    reason: Reason
    channel: Channel | None = None  # set on send: the channel to use, maybe not the proposed one
    until: AwareDatetime | None = None  # set on defer: decide afresh at this instant (UTC)
    refused_channels: tuple[ChannelRefusal, ...] = ()
    # Whose rule decided (None when every rule passed), and for a deferral that would have run
    # past deliver_by, the reason of the rule that held the message there (daily_cap, ...).
    source: RuleSource | None = None
    blocked_by: Reason | None = None

    @model_validator(mode="after")
    def _fields_match_outcome(self) -> "GuardrailDecision":
        if (self.outcome == Outcome.SEND) != (self.channel is not None):
            raise ValueError("a channel is given on send and only on send")
        if (self.outcome == Outcome.DEFER) != (self.until is not None):
            raise ValueError("until is given on defer and only on defer")
        return self
