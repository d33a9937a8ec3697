"""When a wait step ends: pure functions of the anchor, the trigger event and the facts.

Deterministic (no clock here): the workflow passes its own times in, so a replay computes the same
deadlines. Local times are in the customer's time zone, from the facts.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from journeys.facts import CustomerFacts
from journeys.spec import WaitLocalTime, WaitUntil
from models.events import Event


def at_local_time(start: datetime, at: time, timezone: str, days: int = 0) -> datetime:
    """`at` o'clock local time, `days` calendar days after `start`'s local day; the day after
    that when the moment is before `start`."""
    zone = ZoneInfo(timezone)
    day = start.astimezone(zone).date() + timedelta(days=days)
    candidate = datetime.combine(day, at, tzinfo=zone)
    if candidate < start:
        candidate = datetime.combine(day + timedelta(days=1), at, tzinfo=zone)
    return candidate.astimezone(UTC)


def local_time_deadline(step: WaitLocalTime, anchor_at: datetime, facts: CustomerFacts) -> datetime:
    return at_local_time(anchor_at, step.at, facts.timezone, step.days)


def resolve_date(ref: str, trigger: Event, facts: CustomerFacts) -> datetime | None:
    """The moment a date reference names; a bare date is local midnight. None: absent/invalid."""
    source, name = ref.split(".", 1)
    if source == "event":
        value: Any = trigger.properties.get(name)
    elif source == "profile":
        value = facts.attributes.get(name)
    else:
        value = getattr(facts, name)
    return _moment(value, facts.timezone)


def date_deadline(step: WaitUntil, trigger: Event, facts: CustomerFacts) -> datetime | None:
    base = resolve_date(step.date, trigger, facts)
    if base is None:
        return None
    moment = base + step.offset
    if step.at is not None:
        zone = ZoneInfo(facts.timezone)
        moment = datetime.combine(moment.astimezone(zone).date(), step.at, tzinfo=zone)
    return moment.astimezone(UTC)


def _moment(value: Any, timezone: str) -> datetime | None:
    if isinstance(value, datetime):
        parsed: date | datetime = value
    elif isinstance(value, date):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = (
                date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
            )
        except ValueError:
            return None
    else:
        return None
    if isinstance(parsed, datetime):
        return parsed.astimezone(UTC) if parsed.tzinfo is not None else None
    return datetime.combine(parsed, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)
