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
    # tier within them): winback messages per local ISO week, whichever tiers sent them.
    winback_light_weekly_cap: int = Field(
        default=3, ge=0, description="winback messages per local week, light tier"
    )
    winback_medium_weekly_cap: int = Field(
        default=2, ge=0, description="winback messages per local week, medium tier"
    )
    winback_heavy_weekly_cap: int = Field(
        default=1, ge=0, description="winback messages per local week, heavy tier"
    )

    cross_sell_weekly_cap: int = Field(
        default=5, ge=0, description="touches of the journey per week"
    )
    cross_sell_important_gap_hours: float = Field(default=48, ge=0)
    cross_sell_journey_gap_hours: float = Field(default=24, ge=0)

    quiet_hours_start: time = Field(default=time(22), description="local wall-clock time")
    quiet_hours_end: time = Field(
        default=time(9), description="local wall-clock time; deferrals land here"
    )

    silence_days: float = Field(default=7, ge=0)
    unopened_streak_for_silence: int = Field(default=2, ge=1)
    # The product leaves open when a message counts as unopened: one with no open or click after
    # this long. Two days covers an evening message read the next evening.
    unopened_after_hours: float = Field(default=48, gt=0)
    # SMS reports no opens, so an unclicked SMS proves nothing: it neither counts as unopened nor
    # breaks a streak; a clicked one does break it.
    open_untracked_channels: frozenset[Channel] = frozenset({Channel.SMS})
    # Channels that make a phone buzz; silence closes them. In-app waits until the customer opens
    # the app and email waits in an inbox, so those two stay open as the low-interruption route.
    interruptive_channels: frozenset[Channel] = frozenset(
        {Channel.PUSH, Channel.WECHAT, Channel.SMS}
    )
    complaints_for_blacklist: int = Field(default=2, ge=1)

    benefit_repeat_days: float = Field(default=30, ge=0)

    unsubscribe_secret: SecretStr | None = Field(
        default=None,
        description="HMAC key of the signed unsubscribe links made before link tokens "
        "(channels/link_tokens.py), honoured until they expire",
    )
    # Not in the product: links must keep working at least 30 days after the message (CAN-SPAM).
    unsubscribe_token_days: int = Field(default=60, ge=30)

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
