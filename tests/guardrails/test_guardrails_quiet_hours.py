"""Quiet hours 22:00-09:00 in the customer's own zone, and deferrals across DST changes."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from guardrails import GuardrailSettings, Outcome, Rule, decide
from guardrails.localtime import next_week_at, quiet_hours_end
from tests.guardrails.cases import LOS_ANGELES, SHANGHAI, contact, customer, local, request

RULES = GuardrailSettings()


def test_23_00_in_shanghai_waits_for_09_00_shanghai_and_los_angeles_keeps_its_own_clock() -> None:
    # 2026-06-10 15:00 UTC is 23:00 in Shanghai and 08:00 in Los Angeles, itself still quiet:
    # each customer waits for 09:00 on their own clock, one hour apart.
    now = datetime(2026, 6, 10, 15, 0, tzinfo=UTC)

    shanghai = decide(request(), customer(SHANGHAI), [], now, RULES)
    los_angeles = decide(request(), customer(LOS_ANGELES), [], now, RULES)

    assert (shanghai.outcome, shanghai.rule) == (Outcome.DEFER, Rule.QUIET_HOURS)
    assert shanghai.until == local(SHANGHAI, 2026, 6, 11, 9) == datetime(2026, 6, 11, 1, tzinfo=UTC)
    assert los_angeles.outcome == Outcome.DEFER
    assert los_angeles.until == local(LOS_ANGELES, 2026, 6, 10, 9)
    assert los_angeles.until == datetime(2026, 6, 10, 16, tzinfo=UTC)


def test_the_same_instant_is_quiet_in_shanghai_and_daytime_in_los_angeles() -> None:
    # 16:30 UTC: 00:30 in Shanghai (quiet), 09:30 in Los Angeles (open).
    now = datetime(2026, 6, 10, 16, 30, tzinfo=UTC)

    shanghai = decide(request(), customer(SHANGHAI), [], now, RULES)
    los_angeles = decide(request(), customer(LOS_ANGELES), [], now, RULES)

    assert (shanghai.outcome, shanghai.until) == (Outcome.DEFER, local(SHANGHAI, 2026, 6, 11, 9))
    assert los_angeles.outcome == Outcome.SEND


@pytest.mark.parametrize(
    ("hour", "minute", "until"),
    [
        (21, 59, None),
        (22, 0, local(SHANGHAI, 2026, 6, 11, 9)),
        (0, 0, local(SHANGHAI, 2026, 6, 10, 9)),
        (8, 59, local(SHANGHAI, 2026, 6, 10, 9)),
        (9, 0, None),
    ],
)
def test_quiet_hours_edges(hour: int, minute: int, until: datetime | None) -> None:
    now = local(SHANGHAI, 2026, 6, 10, hour, minute)

    decision = decide(request(), customer(SHANGHAI), [], now, RULES)

    assert decision.until == until
    assert decision.outcome == (Outcome.SEND if until is None else Outcome.DEFER)


def test_spring_forward_night_defers_to_09_00_daylight_time() -> None:
    # 2026-03-08 02:00 PST jumps to 03:00 PDT: the night is an hour shorter in UTC.
    now = local(LOS_ANGELES, 2026, 3, 7, 23)
    assert now == datetime(2026, 3, 8, 7, tzinfo=UTC)

    decision = decide(request(), customer(LOS_ANGELES), [], now, RULES)

    assert decision.until == datetime(2026, 3, 8, 16, tzinfo=UTC)  # 09:00 PDT, UTC-7


def test_fall_back_night_defers_to_09_00_standard_time() -> None:
    # 2026-11-01 02:00 PDT falls back to 01:00 PST: the night is an hour longer in UTC.
    now = local(LOS_ANGELES, 2026, 10, 31, 23)
    assert now == datetime(2026, 11, 1, 6, tzinfo=UTC)

    decision = decide(request(), customer(LOS_ANGELES), [], now, RULES)

    assert decision.until == datetime(2026, 11, 1, 17, tzinfo=UTC)  # 09:00 PST, UTC-8


def test_daily_cap_across_spring_forward_lands_on_09_00_daylight_time() -> None:
    history = [contact(local(LOS_ANGELES, 2026, 3, 7, h)) for h in (10, 12, 14)]

    decision = decide(
        request(), customer(LOS_ANGELES), history, local(LOS_ANGELES, 2026, 3, 7, 15), RULES
    )

    assert (decision.rule, decision.until) == (Rule.DAILY_CAP, datetime(2026, 3, 8, 16, tzinfo=UTC))


def test_the_25_hour_fall_back_day_is_one_local_day() -> None:
    # 00:30 PDT and 21:00 PST on 2026-11-01 are one local day that spans two UTC days; the third
    # message of that day is still allowed, the fourth is not.
    first = contact(local(LOS_ANGELES, 2026, 11, 1, 0, 30))
    second = contact(local(LOS_ANGELES, 2026, 11, 1, 12))
    third = contact(local(LOS_ANGELES, 2026, 11, 1, 20))
    now = local(LOS_ANGELES, 2026, 11, 1, 21)
    assert now - first.at == timedelta(hours=21, minutes=30)

    allowed = decide(request(), customer(LOS_ANGELES), [first, second], now, RULES)
    capped = decide(request(), customer(LOS_ANGELES), [first, second, third], now, RULES)

    assert allowed.outcome == Outcome.SEND
    assert capped.until == datetime(2026, 11, 2, 17, tzinfo=UTC)  # 09:00 PST


def test_next_morning_and_next_monday_across_dst_changes() -> None:
    zone = ZoneInfo(LOS_ANGELES)
    night_before_fall_back = local(LOS_ANGELES, 2026, 10, 31, 23)

    assert quiet_hours_end(night_before_fall_back, time(22), time(9), zone) == datetime(
        2026, 11, 1, 17, tzinfo=UTC
    )
    saturday_before_spring_forward = local(LOS_ANGELES, 2026, 3, 7, 12)

    assert next_week_at(saturday_before_spring_forward, time(9), zone) == datetime(
        2026, 3, 9, 16, tzinfo=UTC
    )


def test_quiet_hours_that_do_not_wrap_midnight() -> None:
    zone = ZoneInfo(SHANGHAI)
    start, end = time(13), time(14)

    assert quiet_hours_end(local(SHANGHAI, 2026, 6, 10, 12, 59), start, end, zone) is None
    assert quiet_hours_end(local(SHANGHAI, 2026, 6, 10, 13, 30), start, end, zone) == local(
        SHANGHAI, 2026, 6, 10, 14
    )
    assert quiet_hours_end(local(SHANGHAI, 2026, 6, 10, 14), start, end, zone) is None
