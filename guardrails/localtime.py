"""The customer's calendar: local days, ISO weeks and quiet hours, computed from aware instants.

Everything is derived by converting an instant to the customer's zone and back, never by adding
hours to a local time, so a 23- or 25-hour day around a DST change is still one day.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("an aware datetime is required: local days mean nothing without a zone")


def local_day(at: datetime, zone: ZoneInfo) -> date:
    return at.astimezone(zone).date()


def local_week(at: datetime, zone: ZoneInfo) -> tuple[int, int]:
    """ISO (year, week): weeks start on Monday in the customer's zone."""
    iso = at.astimezone(zone).isocalendar()
    return iso.year, iso.week


def instant_at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The UTC instant when the wall clock in `zone` shows `clock` on `day`.

    A wall time skipped by a DST jump resolves to the same distance past the jump (02:30 on a
    spring-forward night is 03:30 daylight time); a repeated one resolves to its first occurrence.
    """
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def next_day_at(at: datetime, clock: time, zone: ZoneInfo) -> datetime:
    """`clock` on the local day after the one `at` falls on."""
    return instant_at(local_day(at, zone) + timedelta(days=1), clock, zone)


def next_week_at(at: datetime, clock: time, zone: ZoneInfo) -> datetime:
    """`clock` on the Monday of the local ISO week after the one `at` falls in."""
    day = local_day(at, zone)
    return instant_at(day + timedelta(days=7 - day.weekday()), clock, zone)


def quiet_hours_end(at: datetime, start: time, end: time, zone: ZoneInfo) -> datetime | None:
    """When the quiet period that `at` falls in ends, or None when `at` is not in quiet hours.

    The window is [start, end) on the local wall clock and may run past midnight (22:00-09:00).
    """
    local = at.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    day = local.date()
    if start > end:  # wraps midnight
        if clock >= start:
            return instant_at(day + timedelta(days=1), end, zone)
        if clock < end:
            return instant_at(day, end, zone)
        return None
    if start <= clock < end:
        return instant_at(day, end, zone)
    return None
