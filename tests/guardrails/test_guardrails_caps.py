"""Caps per local day and week, SMS per week, winback tiers and the cross-sell limits.

The week of Monday 2026-06-08 to Sunday 2026-06-14 is used throughout.
"""

from datetime import datetime, timedelta
from typing import Any

import pytest

from guardrails import (
    ContactRecord,
    GuardrailSettings,
    Importance,
    JourneyKind,
    Outcome,
    Reason,
    Rule,
    SendRequest,
    WinbackTier,
    decide,
)
from models.channels import Channel
from models.messages import MessageStatus
from tests.guardrails.cases import LOS_ANGELES, SHANGHAI, contact, customer, local, request

RULES = GuardrailSettings()


def test_fourth_message_of_a_local_day_waits_for_the_next_local_morning() -> None:
    history = [contact(local(SHANGHAI, 2026, 6, 10, h)) for h in (9, 12, 15)]
    now = local(SHANGHAI, 2026, 6, 10, 18)

    third = decide(request(), customer(), history[:2], now, RULES)
    fourth = decide(request(), customer(), history, now, RULES)

    assert third.outcome == Outcome.SEND
    assert fourth.outcome == Outcome.DEFER
    assert (fourth.rule, fourth.reason) == (Rule.DAILY_CAP, Reason.DAILY_CAP)
    assert fourth.until == local(SHANGHAI, 2026, 6, 11, 9)


def test_the_day_is_the_customers_local_day_not_the_utc_day() -> None:
    # 16:00 and 16:30 PDT fall on 2026-06-10 in UTC too, 17:30 and 18:00 PDT already on the 11th.
    times = ((16, 0), (16, 30), (17, 30))
    history = [contact(local(LOS_ANGELES, 2026, 6, 10, h, m)) for h, m in times]
    now = local(LOS_ANGELES, 2026, 6, 10, 18)
    assert now.date().day == 11

    decision = decide(request(), customer(LOS_ANGELES), history, now, RULES)

    assert decision.outcome == Outcome.DEFER
    assert decision.rule == Rule.DAILY_CAP
    assert decision.until == local(LOS_ANGELES, 2026, 6, 11, 9)


def test_ninth_message_of_a_week_waits_for_next_monday_morning() -> None:
    # Eight sends spread Monday to Saturday: never more than two a day.
    days = (8, 8, 9, 10, 11, 12, 13, 13)
    history = [contact(local(SHANGHAI, 2026, 6, d, 10 + i)) for i, d in enumerate(days)]
    now = local(SHANGHAI, 2026, 6, 13, 20)

    eighth = decide(request(), customer(), history[:7], now, RULES)
    ninth = decide(request(), customer(), history, now, RULES)

    assert eighth.outcome == Outcome.SEND
    assert (ninth.outcome, ninth.rule) == (Outcome.DEFER, Rule.WEEKLY_CAP)
    assert ninth.until == local(SHANGHAI, 2026, 6, 15, 9)


@pytest.mark.parametrize(
    ("earlier", "outcome"),
    [
        # Sunday 23:30 in Shanghai belongs to the week before: Monday's slot is free.
        (local(SHANGHAI, 2026, 6, 14, 23, 30), Outcome.SEND),
        # Monday 00:30 in Shanghai is still Sunday 16:30 in UTC, but it is this week's message.
        (local(SHANGHAI, 2026, 6, 15, 0, 30), Outcome.DEFER),
    ],
)
def test_the_week_turns_at_local_monday_midnight(earlier: datetime, outcome: Outcome) -> None:
    rules = GuardrailSettings(weekly_cap=1)
    assert earlier.isocalendar().week == 24  # both are in the same UTC week

    decision = decide(
        request(), customer(), [contact(earlier)], local(SHANGHAI, 2026, 6, 15, 10), rules
    )

    assert decision.outcome == outcome
    if outcome == Outcome.DEFER:
        assert decision.rule == Rule.WEEKLY_CAP
        assert decision.until == local(SHANGHAI, 2026, 6, 22, 9)


def test_third_sms_of_a_week_goes_to_the_next_allowed_channel() -> None:
    history = [
        contact(local(SHANGHAI, 2026, 6, 8, 10), channel=Channel.SMS),
        contact(local(SHANGHAI, 2026, 6, 9, 10), channel=Channel.SMS),
    ]
    now = local(SHANGHAI, 2026, 6, 11, 12)
    sms = request(channel=Channel.SMS, fallback_channels=(Channel.EMAIL, Channel.INAPP))

    second = decide(sms, customer(), history[:1], now, RULES)
    third = decide(sms, customer(), history, now, RULES)

    assert (second.outcome, second.channel) == (Outcome.SEND, Channel.SMS)
    assert (third.outcome, third.channel) == (Outcome.SEND, Channel.EMAIL)
    assert (third.rule, third.reason) == (Rule.SMS_WEEKLY_CAP, Reason.REROUTED)
    assert [(r.channel, r.reason) for r in third.refused_channels] == [
        (Channel.SMS, Reason.SMS_WEEKLY_CAP)
    ]


def test_third_sms_with_no_other_channel_waits_for_next_week() -> None:
    history = [contact(local(SHANGHAI, 2026, 6, d, 10), channel=Channel.SMS) for d in (8, 9)]
    sms_only = request(channel=Channel.SMS)

    decision = decide(sms_only, customer(), history, local(SHANGHAI, 2026, 6, 11, 12), RULES)

    assert (decision.outcome, decision.rule) == (Outcome.DEFER, Rule.SMS_WEEKLY_CAP)
    assert decision.until == local(SHANGHAI, 2026, 6, 15, 9)


def _winback(tier: WinbackTier) -> SendRequest:
    return request(
        journey="winback",
        journey_kind=JourneyKind.WINBACK,
        winback_tier=tier,
        workflow_id="winback:cust-1",
        step="touch",
        trigger_event_id="evt-dormant-1",
    )


@pytest.mark.parametrize(
    ("tier", "cap"), [(WinbackTier.LIGHT, 3), (WinbackTier.MEDIUM, 2), (WinbackTier.HEAVY, 1)]
)
def test_winback_tier_caps_per_week(tier: WinbackTier, cap: int) -> None:
    touches = [
        contact(local(SHANGHAI, 2026, 6, 8 + i, 10), journey="winback", workflow_id="winback:c1")
        for i in range(cap)
    ]
    other_journeys = [contact(local(SHANGHAI, 2026, 6, 8 + i, 15)) for i in range(cap)]
    now = local(SHANGHAI, 2026, 6, 12, 12)

    under = decide(_winback(tier), customer(), touches[:-1] + other_journeys, now, RULES)
    at_cap = decide(_winback(tier), customer(), touches, now, RULES)

    assert under.outcome == Outcome.SEND
    assert (at_cap.outcome, at_cap.rule) == (Outcome.DEFER, Rule.WINBACK_WEEKLY_CAP)
    assert at_cap.until == local(SHANGHAI, 2026, 6, 15, 9)


def _cross_sell(importance: Importance = Importance.NORMAL) -> SendRequest:
    return request(
        journey="cross_sell",
        journey_kind=JourneyKind.HIGH_VALUE_CROSS_SELL,
        workflow_id="cross_sell:cust-1",
        step="bundle",
        trigger_event_id="evt-session-9",
        importance=importance,
        channel=Channel.INAPP,
    )


def _cross_sell_touch(at: datetime, **changes: Any) -> ContactRecord:
    return contact(at, journey="cross_sell", workflow_id="cross_sell:cust-1", **changes)


def test_cross_sell_sixth_touch_of_a_week_waits_for_next_week() -> None:
    touches = [_cross_sell_touch(local(SHANGHAI, 2026, 6, d, 10)) for d in (8, 9, 10, 11, 12)]
    now = local(SHANGHAI, 2026, 6, 13, 12)

    fifth = decide(_cross_sell(), customer(), touches[:4], now, RULES)
    sixth = decide(_cross_sell(), customer(), touches, now, RULES)

    assert fifth.outcome == Outcome.SEND
    assert (sixth.outcome, sixth.rule) == (Outcome.DEFER, Rule.CROSS_SELL_WEEKLY_CAP)
    assert sixth.until == local(SHANGHAI, 2026, 6, 15, 9)


def test_cross_sell_touches_of_the_journey_are_24_hours_apart() -> None:
    last = _cross_sell_touch(local(SHANGHAI, 2026, 6, 8, 20))
    now = local(SHANGHAI, 2026, 6, 9, 10)

    decision = decide(_cross_sell(), customer(), [last], now, RULES)
    other_journey = decide(request(), customer(), [last], now, RULES)

    assert (decision.outcome, decision.rule) == (Outcome.DEFER, Rule.CROSS_SELL_JOURNEY_GAP)
    assert decision.until == local(SHANGHAI, 2026, 6, 9, 20)
    assert other_journey.outcome == Outcome.SEND


def test_important_cross_sell_touch_waits_48_hours_after_any_important_touch() -> None:
    important = contact(local(SHANGHAI, 2026, 6, 8, 10), importance=Importance.CRITICAL)
    now = local(SHANGHAI, 2026, 6, 9, 20)

    decision = decide(_cross_sell(Importance.IMPORTANT), customer(), [important], now, RULES)
    normal = decide(_cross_sell(), customer(), [important], now, RULES)

    assert (decision.outcome, decision.rule) == (Outcome.DEFER, Rule.CROSS_SELL_IMPORTANT_GAP)
    assert decision.until == local(SHANGHAI, 2026, 6, 10, 10)
    assert normal.outcome == Outcome.SEND


def test_a_gap_that_ends_in_quiet_hours_defers_straight_to_the_morning() -> None:
    # 48 h after Monday 23:00 is Wednesday 23:00, inside quiet hours: one timer to Thursday 09:00.
    important = contact(local(SHANGHAI, 2026, 6, 8, 23), importance=Importance.IMPORTANT)
    now = local(SHANGHAI, 2026, 6, 9, 12)

    decision = decide(_cross_sell(Importance.IMPORTANT), customer(), [important], now, RULES)

    assert (decision.outcome, decision.rule) == (Outcome.DEFER, Rule.CROSS_SELL_IMPORTANT_GAP)
    assert decision.until == local(SHANGHAI, 2026, 6, 11, 9)


def test_only_recorded_sends_count_against_caps() -> None:
    not_contacts = [
        contact(local(SHANGHAI, 2026, 6, 10, h), status=status)
        for h, status in (
            (9, MessageStatus.DEFERRED),
            (10, MessageStatus.SUPPRESSED),
            (11, MessageStatus.FAILED),
        )
    ]
    pending = [
        contact(local(SHANGHAI, 2026, 6, 10, h), status=MessageStatus.PENDING) for h in (12, 13, 14)
    ]
    now = local(SHANGHAI, 2026, 6, 10, 18)

    assert decide(request(), customer(), not_contacts, now, RULES).outcome == Outcome.SEND
    assert decide(request(), customer(), pending, now, RULES).outcome == Outcome.DEFER


def test_a_contact_stamped_just_after_now_by_another_journey_still_counts() -> None:
    # Two journeys race for the last slot of the day; the winner's workflow clock ran 40 ms ahead.
    now = local(SHANGHAI, 2026, 6, 10, 18)
    history = [contact(local(SHANGHAI, 2026, 6, 10, h)) for h in (9, 12)]
    history.append(contact(now + timedelta(milliseconds=40)))

    decision = decide(request(), customer(), history, now, RULES)

    assert (decision.outcome, decision.rule) == (Outcome.DEFER, Rule.DAILY_CAP)
