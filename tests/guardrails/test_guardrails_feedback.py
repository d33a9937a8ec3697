"""Negative feedback: silence after unopened messages or a complaint, blacklist after two."""

from datetime import datetime, timedelta
from typing import Any

from guardrails import (
    ContactRecord,
    GuardrailSettings,
    Outcome,
    Reason,
    Rule,
    SilenceCause,
    decide,
    feedback_state,
    silence_end,
)
from models.channels import Channel
from tests.guardrails.cases import SHANGHAI, contact, customer, local, request

RULES = GuardrailSettings()
MONDAY_10 = local(SHANGHAI, 2026, 6, 8, 10)
TUESDAY_10 = local(SHANGHAI, 2026, 6, 9, 10)
# The Tuesday message counts as unopened 48 h later, on Thursday 10:00.
THURSDAY_12 = local(SHANGHAI, 2026, 6, 11, 12)
SILENCE_END = local(SHANGHAI, 2026, 6, 18, 10)


def _unopened(at: datetime, **changes: Any) -> ContactRecord:
    return contact(at, opened=False, **changes)


def test_two_unopened_messages_silence_push_and_move_to_email() -> None:
    history = [_unopened(MONDAY_10), _unopened(TUESDAY_10)]
    push_or_email = request(fallback_channels=(Channel.EMAIL,))

    state = feedback_state(history, THURSDAY_12, RULES)
    decision = decide(push_or_email, customer(), history, THURSDAY_12, RULES)

    assert state.consecutive_unopened == 2
    assert (state.silence_until, state.silence_cause) == (SILENCE_END, SilenceCause.UNOPENED)
    assert (decision.outcome, decision.channel) == (Outcome.SEND, Channel.EMAIL)
    assert (decision.rule, decision.reason) == (Rule.SILENCE, Reason.REROUTED)
    assert decision.refused_channels[0].reason == Reason.SILENCE_UNOPENED
    assert decision.refused_channels[0].until == SILENCE_END


def test_silenced_interruptive_only_step_waits_for_the_silence_to_end() -> None:
    history = [_unopened(MONDAY_10), _unopened(TUESDAY_10)]
    push_or_wechat = request(fallback_channels=(Channel.WECHAT, Channel.SMS))

    decision = decide(push_or_wechat, customer(), history, THURSDAY_12, RULES)

    assert (decision.outcome, decision.reason) == (Outcome.DEFER, Reason.SILENCE_UNOPENED)
    assert decision.until == SILENCE_END


def test_in_app_is_low_interruption_and_stays_open_during_silence() -> None:
    history = [_unopened(MONDAY_10), _unopened(TUESDAY_10)]

    decision = decide(request(channel=Channel.INAPP), customer(), history, THURSDAY_12, RULES)

    assert (decision.outcome, decision.reason) == (Outcome.SEND, Reason.ALLOWED)


def test_no_silence_while_the_second_message_may_still_be_opened() -> None:
    history = [_unopened(MONDAY_10), _unopened(TUESDAY_10)]
    wednesday_12 = local(SHANGHAI, 2026, 6, 10, 12)

    state = feedback_state(history, wednesday_12, RULES)

    assert (state.consecutive_unopened, state.silence_until) == (1, None)
    assert decide(request(), customer(), history, wednesday_12, RULES).outcome == Outcome.SEND


def test_an_open_or_click_breaks_the_streak() -> None:
    an_hour_later = TUESDAY_10 + timedelta(hours=1)
    opened_between = [_unopened(MONDAY_10), contact(TUESDAY_10), _unopened(an_hour_later)]
    clicked_sms = [_unopened(MONDAY_10), _unopened(TUESDAY_10, channel=Channel.SMS, clicked=True)]

    for history in (opened_between, clicked_sms):
        state = feedback_state(history, THURSDAY_12, RULES)
        assert state.silence_until is None
        assert decide(request(), customer(), history, THURSDAY_12, RULES).outcome == Outcome.SEND


def test_an_unclicked_sms_proves_nothing_about_opens() -> None:
    # SMS reports no opens: it neither counts as unopened nor breaks the streak around it.
    history = [_unopened(MONDAY_10), _unopened(TUESDAY_10, channel=Channel.SMS)]
    assert feedback_state(history, THURSDAY_12, RULES).silence_until is None

    history.append(_unopened(TUESDAY_10 + timedelta(hours=1)))
    state = feedback_state(history, THURSDAY_12, RULES)
    assert state.silence_cause == SilenceCause.UNOPENED


def test_silence_lasts_seven_days_then_push_reopens() -> None:
    history = [_unopened(MONDAY_10), _unopened(TUESDAY_10)]

    last_minute = decide(request(), customer(), history, SILENCE_END - timedelta(minutes=1), RULES)
    after = decide(request(), customer(), history, SILENCE_END, RULES)

    assert last_minute.outcome == Outcome.DEFER
    assert after.outcome == Outcome.SEND


def test_every_second_unopened_message_starts_a_new_silence() -> None:
    # Four unopened messages, two a day apart then two more (sent on email during the silence).
    during = [SILENCE_END - timedelta(days=3), SILENCE_END - timedelta(days=2)]
    times = [MONDAY_10, TUESDAY_10, *during]
    history = [_unopened(t, channel=Channel.EMAIL) for t in times]
    now = SILENCE_END + timedelta(hours=1)

    state = feedback_state(history, now, RULES)

    assert state.consecutive_unopened == 4
    assert state.silence_until == times[3] + timedelta(hours=48) + timedelta(days=7)


def test_a_complaint_silences_from_when_it_arrived() -> None:
    complained_at = local(SHANGHAI, 2026, 6, 10, 20)
    history = [contact(MONDAY_10, complained_at=complained_at)]

    state = feedback_state(history, THURSDAY_12, RULES)

    assert (state.complaints, state.blacklisted) == (1, False)
    assert state.silence_until == silence_end(complained_at, RULES)
    assert state.silence_until == complained_at + timedelta(days=7)
    decision = decide(request(), customer(), history, THURSDAY_12, RULES)
    assert (decision.reason, decision.until) == (Reason.SILENCE_COMPLAINT, state.silence_until)


def test_two_complaints_blacklist_for_good() -> None:
    first = contact(MONDAY_10, complained_at=MONDAY_10 + timedelta(hours=2))
    second = contact(TUESDAY_10, complained_at=TUESDAY_10 + timedelta(hours=2))
    a_year_later = MONDAY_10 + timedelta(days=365)

    state = feedback_state([first, second], a_year_later, RULES)
    email = request(channel=Channel.EMAIL)
    on_email = decide(email, customer(), [first, second], a_year_later, RULES)
    one_complaint = decide(email, customer(), [first], a_year_later, RULES)

    assert (state.complaints, state.blacklisted, state.silence_until) == (2, True, None)
    assert (on_email.outcome, on_email.rule, on_email.reason) == (
        Outcome.SUPPRESS,
        Rule.BLACKLIST,
        Reason.BLACKLISTED,
    )
    assert one_complaint.outcome == Outcome.SEND


def test_stored_blacklist_and_silence_on_the_customer_are_honoured() -> None:
    # The caller stores the blacklist (it outlives the history window) and the silence that an
    # unsubscribe starts.
    now = THURSDAY_12
    stored_silence = customer(silence_until=silence_end(now, RULES))

    blacklisted = decide(request(), customer(blacklisted=True), [], now, RULES)
    silenced = decide(request(), stored_silence, [], now, RULES)

    assert (blacklisted.outcome, blacklisted.reason) == (Outcome.SUPPRESS, Reason.BLACKLISTED)
    assert (silenced.outcome, silenced.reason) == (Outcome.DEFER, Reason.SILENCE_STORED)
    assert silenced.until == now + timedelta(days=7)
