"""The customer's own contact preferences: their quiet hours, a lower frequency than the
business caps, and channels they turned off. The guardrails apply the stricter of these and the
business rules (guardrails/checks.py); the API and the preference centre set them."""

from datetime import time
from enum import StrEnum

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_serializer,
    field_validator,
)

from models.channels import Channel


class RuleSource(StrEnum):
    """Whose rule held a message: the business's guardrail settings or the customer's own."""

    BUSINESS = "business"
    CUSTOMER = "customer"


class CustomerPreferences(BaseModel):
    """Every field optional: an empty preference leaves the business rule alone."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    quiet_hours_start: time | None = Field(
        default=None, description="local wall-clock time from which nothing is sent, e.g. 20:00"
    )
    quiet_hours_end: time | None = Field(
        default=None,
        validate_default=True,
        description="local wall-clock time when sending resumes, e.g. 08:00; given with the start",
    )
    max_per_day: int | None = Field(
        default=None, ge=1, le=100, description="at most this many messages per local day"
    )
    max_per_week: int | None = Field(
        default=None, ge=1, le=500, description="at most this many messages per local ISO week"
    )
    channels_off: frozenset[Channel] = Field(
        default=frozenset(), description="channels the customer wants no messages on"
    )

    # Field validators, not a model validator, so that a 422 names the field to blame.
    @field_validator("quiet_hours_start", "quiet_hours_end")
    @classmethod
    def _wall_clock(cls, clock: time | None) -> time | None:
        if clock is not None and clock.tzinfo is not None:
            raise ValueError("a local wall-clock time (HH:MM) without an offset")
        return clock

    @field_validator("quiet_hours_end")
    @classmethod
    def _quiet_hours_whole(cls, end: time | None, info: ValidationInfo) -> time | None:
        start = info.data.get("quiet_hours_start")
        if (start is None) != (end is None) and "quiet_hours_start" in info.data:
            raise ValueError("quiet_hours_start and quiet_hours_end are given together")
        if start is not None and start == end:
            raise ValueError("must differ from quiet_hours_start")
        return end

    @field_validator("channels_off")
    @classmethod
    def _some_channel_left(cls, off: frozenset[Channel]) -> frozenset[Channel]:
        if off >= set(Channel):
            raise ValueError("turning every channel off is unsubscribing: use the unsubscribe")
        return off

    @field_serializer("channels_off")
    def _in_order(self, off: frozenset[Channel]) -> list[str]:
        return sorted(off)

    @property
    def quiet_hours(self) -> tuple[time, time] | None:
        if self.quiet_hours_start is None or self.quiet_hours_end is None:
            return None
        return self.quiet_hours_start, self.quiet_hours_end
