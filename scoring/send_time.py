"""When to send: the customer's active window, and the next moment inside it.

The window is learned from the local hours of past opens, clicks and session starts: a circular
24-hour histogram, and the `window_hours`-wide run of hours holding the most events among the
hours guardrails allow (09:00-22:00 by default). Ties go to the window starting nearest the
default start, then the earliest. With fewer than `min_history_events` events in allowed hours
the default window (19:00-21:00) applies.
"""

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.behaviour import BehaviourEvent
from scoring.journey_features import MESSAGE_CLICKED, MESSAGE_OPENED, split_sessions
from scoring.settings import SendTimeSettings

_HOURS = 24


class SendWindow(BaseModel):
    """Local hours [start_hour, end_hour); end_hour < start_hour wraps past midnight."""

    model_config = ConfigDict(frozen=True)

    start_hour: int = Field(ge=0, le=23)
    end_hour: int = Field(ge=0, le=23)
    source: Literal["learned", "default", "experiment"]

    @model_validator(mode="after")
    def _not_empty(self) -> "SendWindow":
        if self.start_hour == self.end_hour:
            raise ValueError("a send window needs start_hour != end_hour")
        return self

    def contains(self, hour: int) -> bool:
        if self.start_hour < self.end_hour:
            return self.start_hour <= hour < self.end_hour
        return hour >= self.start_hour or hour < self.end_hour


def default_window(settings: SendTimeSettings) -> SendWindow:
    return SendWindow(
        start_hour=settings.default_start_hour,
        end_hour=settings.default_end_hour,
        source="default",
    )


def activity_times(events: Sequence[BehaviourEvent], session_gap: timedelta) -> list[datetime]:
    """When the customer was demonstrably there: each open, click and session start."""
    ordered = sorted(events, key=lambda event: event.occurred_at)
    feedback = [e.occurred_at for e in ordered if e.type in (MESSAGE_OPENED, MESSAGE_CLICKED)]
    starts = [session[0].occurred_at for session in split_sessions(ordered, session_gap)]
    return sorted(feedback + starts)


def learn_send_window(
    times: Iterable[datetime], timezone_name: str, settings: SendTimeSettings
) -> SendWindow:
    """The densest allowed window of the customer's local activity hours, or the default."""
    zone = ZoneInfo(timezone_name)
    allowed = _allowed_hours(settings)
    histogram = [0] * _HOURS
    for moment in times:
        histogram[_aware(moment).astimezone(zone).hour] += 1
    if sum(histogram[hour] for hour in allowed) < settings.min_history_events:
        return default_window(settings)
    width = settings.window_hours
    candidates = [
        start
        for start in range(_HOURS)
        if all((start + offset) % _HOURS in allowed for offset in range(width))
    ]
    if not candidates:
        return default_window(settings)

    def rank(start: int) -> tuple[int, int, int]:
        events = sum(histogram[(start + offset) % _HOURS] for offset in range(width))
        distance = abs(start - settings.default_start_hour)
        return (-events, min(distance, _HOURS - distance), start)

    best = min(candidates, key=rank)
    return SendWindow(start_hour=best, end_hour=(best + width) % _HOURS, source="learned")


def _allowed_hours(settings: SendTimeSettings) -> frozenset[int]:
    start, end = settings.allowed_start_hour, settings.allowed_end_hour % _HOURS
    if start == end:
        return frozenset(range(_HOURS))
    return frozenset((start + offset) % _HOURS for offset in range((end - start) % _HOURS))


def next_send_time(
    now_utc: datetime, timezone_name: str, window: SendWindow, urgent: bool
) -> datetime:
    """`now_utc` when urgent or inside the window, else the window's next start (in UTC).

    Pure (the caller passes the workflow's now). Window starts are local wall-clock times on
    each calendar day, so a DST change moves them in UTC as it should; a start hour that does
    not exist that day (spring forward) falls at the instant the clocks jump to.
    """
    now = _aware(now_utc).astimezone(UTC)
    zone = ZoneInfo(timezone_name)
    local = now.astimezone(zone)
    if urgent or window.contains(local.hour):
        return now
    today = _local_instant(local.date(), window.start_hour, zone)
    if today > now:
        return today
    return _local_instant(local.date() + timedelta(days=1), window.start_hour, zone)


def _local_instant(day: date, hour: int, zone: ZoneInfo) -> datetime:
    # fold=0: an hour that happens twice (fall back) means its first occurrence, and one that
    # is skipped (spring forward) is read with the earlier offset, landing just after the jump.
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
    return moment
