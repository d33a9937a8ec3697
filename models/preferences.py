"""The customer's own contact preferences: their quiet hours, a lower frequency than the
business caps, and channels they turned off. The guardrails apply the stricter of these and the
business rules (guardrails/checks.py); the API and the preference centre set them."""

from datetime import time
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

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
        default=None, description="local wall-clock time when sending resumes, e.g. 08:00"
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

    @model_validator(mode="after")
    def _quiet_hours_whole(self) -> "CustomerPreferences":
        start, end = self.quiet_hours_start, self.quiet_hours_end
        if (start is None) != (end is None):
            raise ValueError("quiet_hours_start and quiet_hours_end are given together")
        if start is not None and start == end:
            raise ValueError("quiet_hours_start and quiet_hours_end must differ")
        if set(self.channels_off) >= set(Channel):
            raise ValueError("turning every channel off is unsubscribing: use the unsubscribe")
        return self

    @property
    def quiet_hours(self) -> tuple[time, time] | None:
        if self.quiet_hours_start is None or self.quiet_hours_end is None:
            return None
        return self.quiet_hours_start, self.quiet_hours_end
