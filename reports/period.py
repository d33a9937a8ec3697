"""The period a report covers: decisions, signups and cart updates made in [since, until).

Outcomes are looked for after the period too (an order 20 days after a signup on its last day
still counts), so a report on a recent period can still rise: each windowed figure says how many
of its windows are still open.
"""

from datetime import datetime, timedelta
from typing import Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, model_validator


class Period(BaseModel):
    model_config = ConfigDict(frozen=True)

    since: AwareDatetime
    until: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.since >= self.until:
            raise ValueError("since must be before until")
        return self

    def contains(self, at: datetime) -> bool:
        return self.since <= at < self.until


def resolve_period(
    since: datetime | None,
    until: datetime | None,
    now: datetime,
    default_length: timedelta,
    max_length: timedelta,
) -> Period:
    """The period a request means: `until` defaults to now, `since` to `default_length` before
    `until`. ValueError when the two do not make a period, which `since` is blamed for."""
    end = until or now
    try:
        start = since or end - default_length
    except OverflowError:  # `until` in the first days of year 1
        raise ValueError("until is too early for a period to end then") from None
    if start >= end:
        raise ValueError("since must be before until")
    if end - start > max_length:
        raise ValueError(f"the period may be at most {max_length.days} days long")
    return Period(since=start, until=end)
