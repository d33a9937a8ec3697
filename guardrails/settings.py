"""Settings of the guardrails package; the app nests this model in its one settings object.

Every default is the number PRODUCT.md gives, except where a comment says the product left it open.
"""

from datetime import time

from pydantic import BaseModel, Field, SecretStr, model_validator

from guardrails.inputs import WinbackTier
from models.channels import Channel


class GuardrailSettings(BaseModel):
    daily_cap: int = Field(
        default=3, ge=0, description="messages per local calendar day, all journeys"
    )
    weekly_cap: int = Field(
        default=8, ge=0, description="messages per local ISO week, all journeys"
    )
    sms_weekly_cap: int = Field(default=2, ge=0, description="SMS per local ISO week, all journeys")

    # The one definition of winback's caps per dormancy tier (journeys/winback.py paces each
    # tier within them), counting every winback message of the week, whichever tier sent it.
    winback_light_weekly_cap: int = Field(
        default=3,
        ge=0,
        description="winback messages per local ISO week to a light-dormant customer (by "
        "default 30-60 days inactive); more wait until Monday at quiet_hours_end",
    )
    winback_medium_weekly_cap: int = Field(
        default=2,
        ge=0,
        description="winback messages per local ISO week to a medium-dormant customer (by "
        "default 61-120 days inactive); more wait until Monday at quiet_hours_end",
    )
    winback_heavy_weekly_cap: int = Field(
        default=1,
        ge=0,
        description="winback messages per local ISO week to a heavy-dormant customer (by "
        "default over 120 days inactive); more wait until Monday at quiet_hours_end",
    )

    cross_sell_weekly_cap: int = Field(
        default=5, ge=0, description="touches of the journey per week"
    )
    cross_sell_important_gap_hours: float = Field(
        default=48,
        ge=0,
        description="hours an important high-value cross-sell touch waits after the customer's "
        "last important message of any journey (deferred, not dropped)",
    )
    cross_sell_journey_gap_hours: float = Field(
        default=24,
        ge=0,
        description="hours between two touches of one high-value cross-sell journey (deferred, "
        "not dropped)",
    )

    quiet_hours_start: time = Field(default=time(22), description="local wall-clock time")
    quiet_hours_end: time = Field(
        default=time(9), description="local wall-clock time; deferrals land here"
    )

    silence_days: float = Field(
        default=7,
        ge=0,
        description="days the interruptive channels stay closed after an unopened streak, a "
        "complaint or an unsubscribe; a send tries the low-interruption channels meanwhile, "
        "else waits",
    )
    unopened_streak_for_silence: int = Field(
        default=2,
        ge=1,
        description="consecutive unopened messages, across journeys, that start a silence; the "
        "count restarts after each silence",
    )
    unopened_after_hours: float = Field(
        default=48,
        gt=0,
        description="hours after which a message with no open or click counts as unopened (the "
        "product leaves it open; two days covers an evening message read the next evening)",
    )
    open_untracked_channels: frozenset[Channel] = Field(
        default=frozenset({Channel.SMS}),
        description="channels that report no opens (JSON list): an unclicked message on them "
        "neither counts as unopened nor breaks a streak; a clicked one does break it",
    )
    interruptive_channels: frozenset[Channel] = Field(
        default=frozenset({Channel.PUSH, Channel.WECHAT, Channel.SMS}),
        description="channels that make a phone buzz, closed during a silence (JSON list); in-app "
        "and email wait to be looked at, so they stay open as the low-interruption route",
    )
    complaints_for_blacklist: int = Field(
        default=2,
        ge=1,
        description="complaints after which the customer is blacklisted for good: no message "
        "of any journey on any channel",
    )

    benefit_repeat_days: float = Field(
        default=30,
        ge=0,
        description="days before the same benefit (benefit id) may be sent to a customer again; "
        "a repeat within them is suppressed",
    )

    unsubscribe_secret: SecretStr | None = Field(
        default=None,
        description="HMAC key of the signed unsubscribe links made before link tokens "
        "(channels/link_tokens.py), honoured until they expire",
    )
    unsubscribe_token_days: int = Field(
        default=60,
        ge=30,
        description="days a message's one-click unsubscribe link keeps working (not in the "
        "product; CAN-SPAM asks for at least 30 days after the message)",
    )

    @model_validator(mode="after")
    def _quiet_hours_have_length(self) -> "GuardrailSettings":
        if self.quiet_hours_start == self.quiet_hours_end:
            raise ValueError("quiet_hours_start and quiet_hours_end must differ")
        return self

    def winback_weekly_cap(self, tier: WinbackTier) -> int:
        return {
            WinbackTier.LIGHT: self.winback_light_weekly_cap,
            WinbackTier.MEDIUM: self.winback_medium_weekly_cap,
            WinbackTier.HEAVY: self.winback_heavy_weekly_cap,
        }[tier]
