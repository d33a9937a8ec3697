"""Learning the customer's active window, and the next moment inside it."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scoring.send_time import (
    SendWindow,
    activity_times,
    learn_send_window,
    next_send_time,
)
from scoring.settings import SendTimeSettings
from tests.scoring.builders import event, views

SETTINGS = SendTimeSettings()
SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT = SendWindow(start_hour=19, end_hour=21, source="default")


def local_times(zone: ZoneInfo, *hours: float) -> list[datetime]:
    """One event per given local hour (fractions are minutes), on successive days."""
    return [
        datetime(2025, 5, 1 + i, int(h), int(h % 1 * 60), tzinfo=zone) for i, h in enumerate(hours)
    ]


def test_the_densest_window_of_local_hours_is_learned() -> None:
    times = local_times(SHANGHAI, 12.5, 13.1, 12.9, 13.7, 20.2, 8.0, 12.2)
    utc_times = [t.astimezone(UTC) for t in times]
    window = learn_send_window(utc_times, "Asia/Shanghai", SETTINGS)
    assert window == SendWindow(start_hour=12, end_hour=14, source="learned")


def test_three_hour_windows_and_ties_nearest_the_default() -> None:
    times = local_times(SHANGHAI, 10, 11, 12, 16, 17, 18)
    window = learn_send_window(
        times, "Asia/Shanghai", SETTINGS.model_copy(update={"window_hours": 3})
    )
    assert (window.start_hour, window.end_hour) == (16, 19)  # 10-13 holds as many, farther from 19


def test_too_little_history_gives_the_default_window() -> None:
    assert learn_send_window(local_times(SHANGHAI, 9, 10, 11, 12), "Asia/Shanghai", SETTINGS) == (
        DEFAULT
    )
    assert learn_send_window([], "Europe/Berlin", SETTINGS) == DEFAULT


def test_quiet_hours_are_never_learned() -> None:
    night_owl = local_times(SHANGHAI, 23, 23.5, 0.2, 1, 2, 21.5)
    assert learn_send_window(night_owl, "Asia/Shanghai", SETTINGS) == DEFAULT  # 1 allowed event
    more = night_owl + local_times(SHANGHAI, 21.1, 21.2, 20.5, 21.9)
    window = learn_send_window(more, "Asia/Shanghai", SETTINGS)
    assert (window.start_hour, window.end_hour) == (20, 22)


def test_a_window_can_wrap_midnight_when_every_hour_is_allowed() -> None:
    all_day = SETTINGS.model_copy(update={"allowed_start_hour": 0, "allowed_end_hour": 24})
    night_owl = local_times(SHANGHAI, 23, 23.5, 0.2, 0.7, 2, 12)
    window = learn_send_window(night_owl, "Asia/Shanghai", all_day)
    assert (window.start_hour, window.end_hour) == (23, 1)


def test_activity_times_are_opens_clicks_and_session_starts() -> None:
    start = datetime(2025, 5, 1, 11, 0, tzinfo=UTC)
    events = [
        *views(start, 5),
        *views(start + timedelta(hours=3), 3),
        event("message_opened", start + timedelta(hours=1)),
        event("message_clicked", start + timedelta(hours=1, minutes=1)),
        event("cart_updated", start + timedelta(hours=2)),
    ]
    assert activity_times(events, timedelta(minutes=30)) == [
        start,
        start + timedelta(hours=1),
        start + timedelta(hours=1, minutes=1),
        start + timedelta(hours=3),
    ]


def test_now_inside_the_window_or_urgent_sends_now() -> None:
    inside = datetime(2025, 5, 1, 19, 30, tzinfo=SHANGHAI).astimezone(UTC)
    assert next_send_time(inside, "Asia/Shanghai", DEFAULT, urgent=False) == inside
    morning = datetime(2025, 5, 1, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)
    assert next_send_time(morning, "Asia/Shanghai", DEFAULT, urgent=True) == morning


def test_before_the_window_waits_for_today_after_it_for_tomorrow() -> None:
    morning = datetime(2025, 5, 1, 10, 0, tzinfo=SHANGHAI)
    assert next_send_time(morning, "Asia/Shanghai", DEFAULT, False) == datetime(
        2025, 5, 1, 11, 0, tzinfo=UTC
    )
    late = datetime(2025, 5, 1, 23, 30, tzinfo=SHANGHAI)  # 15:30 UTC, still 1 May in UTC
    assert next_send_time(late, "Asia/Shanghai", DEFAULT, False) == datetime(
        2025, 5, 2, 11, 0, tzinfo=UTC
    )


def test_a_window_across_midnight() -> None:
    window = SendWindow(start_hour=22, end_hour=1, source="learned")
    after_midnight = datetime(2025, 5, 2, 0, 30, tzinfo=SHANGHAI)
    assert next_send_time(after_midnight, "Asia/Shanghai", window, False) == after_midnight
    later = datetime(2025, 5, 2, 1, 0, tzinfo=SHANGHAI)
    assert next_send_time(later, "Asia/Shanghai", window, False) == datetime(
        2025, 5, 2, 22, 0, tzinfo=SHANGHAI
    )


@pytest.mark.parametrize(
    ("zone", "now_local", "expected_utc"),
    [
        # Spring forward: the evening before is UTC-5, the window next day is UTC-4.
        ("America/New_York", datetime(2025, 3, 8, 22, 0), datetime(2025, 3, 9, 23, 0)),
        # Fall back: 19:00 on 26 Oct in Berlin is UTC+1, not the UTC+2 of the evening before.
        ("Europe/Berlin", datetime(2025, 10, 25, 21, 30), datetime(2025, 10, 26, 18, 0)),
    ],
)
def test_the_next_window_start_crosses_a_dst_change(
    zone: str, now_local: datetime, expected_utc: datetime
) -> None:
    now = now_local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    sent = next_send_time(now, zone, DEFAULT, urgent=False)
    assert sent == expected_utc.replace(tzinfo=UTC)
    assert sent.astimezone(ZoneInfo(zone)).hour == 19
    assert sent - now != timedelta(hours=21)  # naive "+21 h" would miss the change


def test_a_start_hour_skipped_by_spring_forward_falls_at_the_jump() -> None:
    window = SendWindow(start_hour=2, end_hour=4, source="learned")
    before = datetime(2025, 3, 9, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    sent = next_send_time(before, "America/New_York", window, False)
    assert sent == datetime(
        2025, 3, 9, 7, 0, tzinfo=UTC
    )  # 03:00 EDT, the first instant after 02:00
    assert sent.astimezone(ZoneInfo("America/New_York")).hour == 3


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_send_time(datetime(2025, 5, 1, 10), "UTC", DEFAULT, False)
