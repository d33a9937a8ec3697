"""Hard suppressions (benefit repeat, paid cart, dedupe), consent, unsubscribe and deliver_by."""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from guardrails import GuardrailSettings, Outcome, Reason, Rule, decide
from models.channels import Channel
from models.messages import MessageStatus
from tests.guardrails.cases import SHANGHAI, contact, customer, local, request

RULES = GuardrailSettings()
NOW = local(SHANGHAI, 2026, 6, 10, 12)


@pytest.mark.parametrize(
    ("age", "outcome"),
    [
        (timedelta(days=30) - timedelta(minutes=1), Outcome.SUPPRESS),
        (timedelta(days=30), Outcome.SEND),
    ],
)
def test_same_benefit_at_most_once_in_30_days(age: timedelta, outcome: Outcome) -> None:
    earlier = contact(NOW - age, benefit_id="coupon-free-shipping")

    decision = decide(request(benefit_id="coupon-free-shipping"), customer(), [earlier], NOW, RULES)

    assert decision.outcome == outcome
    if outcome == Outcome.SUPPRESS:
        assert (decision.rule, decision.reason) == (Rule.BENEFIT_FREQUENCY, Reason.BENEFIT_REPEATED)


def test_another_benefit_or_an_unsent_one_does_not_count() -> None:
    other = contact(NOW - timedelta(days=2), benefit_id="coupon-10-off")
    suppressed = contact(
        NOW - timedelta(days=2), benefit_id="coupon-free-shipping", status=MessageStatus.SUPPRESSED
    )

    decision = decide(
        request(benefit_id="coupon-free-shipping"), customer(), [other, suppressed], NOW, RULES
    )

    assert decision.outcome == Outcome.SEND


def test_a_paid_cart_gets_no_discount() -> None:
    paid_with_discount = request(cart_id="cart-7", cart_paid=True, discount=True)
    paid_reminder = request(cart_id="cart-7", cart_paid=True)
    unpaid_with_discount = request(cart_id="cart-7", discount=True)

    discount = decide(paid_with_discount, customer(), [], NOW, RULES)
    reminder = decide(paid_reminder, customer(), [], NOW, RULES)

    assert (discount.outcome, discount.rule, discount.reason) == (
        Outcome.SUPPRESS,
        Rule.ORDER_STATUS,
        Reason.DISCOUNT_ON_PAID_CART,
    )
    assert (reminder.outcome, reminder.reason) == (Outcome.SUPPRESS, Reason.CART_ALREADY_PAID)
    assert decide(unpaid_with_discount, customer(), [], NOW, RULES).outcome == Outcome.SEND


def test_a_paid_cart_is_suppressed_even_in_quiet_hours_rather_than_deferred() -> None:
    at_night = local(SHANGHAI, 2026, 6, 10, 23)
    paid = request(cart_id="cart-7", cart_paid=True, discount=True)

    decision = decide(paid, customer(), [], at_night, RULES)

    assert decision.outcome == Outcome.SUPPRESS


def test_one_message_per_trigger_event() -> None:
    answered_elsewhere = contact(NOW - timedelta(hours=1), trigger_event_id="evt-cart-1")
    same_step_again = contact(
        NOW - timedelta(hours=1),
        trigger_event_id="evt-cart-1",
        journey="cart_abandonment",
        workflow_id="cart_abandonment:cust-1",
        step="stage_1",
    )

    for earlier in (answered_elsewhere, same_step_again):
        decision = decide(request(), customer(), [earlier], NOW, RULES)
        assert (decision.outcome, decision.rule, decision.reason) == (
            Outcome.SUPPRESS,
            Rule.DEDUPE,
            Reason.DUPLICATE_TRIGGER,
        )


def test_later_stages_of_one_journey_may_answer_the_same_event() -> None:
    stage_1 = contact(
        NOW - timedelta(hours=4),
        trigger_event_id="evt-cart-1",
        journey="cart_abandonment",
        workflow_id="cart_abandonment:cust-1",
        step="stage_1",
    )
    suppressed_elsewhere = contact(
        NOW - timedelta(hours=1), trigger_event_id="evt-cart-1", status=MessageStatus.SUPPRESSED
    )

    history = [stage_1, suppressed_elsewhere]

    decision = decide(request(step="stage_2"), customer(), history, NOW, RULES)

    assert decision.outcome == Outcome.SEND


def test_consent_and_unsubscribe_are_per_channel() -> None:
    no_push_consent = customer(consent={Channel.PUSH: False, Channel.EMAIL: True})
    push_unsubscribed = customer(unsubscribed_channels=frozenset({Channel.PUSH}))
    push_or_email = request(fallback_channels=(Channel.EMAIL,))

    by_consent = decide(push_or_email, no_push_consent, [], NOW, RULES)
    by_unsubscribe = decide(push_or_email, push_unsubscribed, [], NOW, RULES)
    push_only = decide(request(), no_push_consent, [], NOW, RULES)

    assert (by_consent.channel, by_consent.rule) == (Channel.EMAIL, Rule.CONSENT)
    assert (by_unsubscribe.channel, by_unsubscribe.rule) == (Channel.EMAIL, Rule.UNSUBSCRIBE)
    assert (push_only.outcome, push_only.reason) == (Outcome.SUPPRESS, Reason.NO_CONSENT)


def test_a_channel_that_only_waits_defers_the_message_instead_of_dropping_it() -> None:
    # No channel is open: email lacks consent for good, push is only silenced. The message waits
    # for push to reopen instead of being dropped.
    silenced = customer(consent={Channel.PUSH: True}, silence_until=NOW + timedelta(days=2))
    decision = decide(request(fallback_channels=(Channel.EMAIL,)), silenced, [], NOW, RULES)

    assert (decision.outcome, decision.reason) == (Outcome.DEFER, Reason.SILENCE_STORED)
    assert [r.reason for r in decision.refused_channels] == [
        Reason.SILENCE_STORED,
        Reason.NO_CONSENT,
    ]


def test_a_deferral_past_deliver_by_suppresses() -> None:
    # An offer-expiry reminder due at 23:00 for an offer that ends at 01:00 cannot wait for 09:00.
    at_night = local(SHANGHAI, 2026, 6, 10, 23)
    reminder = request(deliver_by=local(SHANGHAI, 2026, 6, 11, 1))
    roomy = request(deliver_by=local(SHANGHAI, 2026, 6, 11, 9))

    decision = decide(reminder, customer(), [], at_night, RULES)

    assert (decision.outcome, decision.rule, decision.reason) == (
        Outcome.SUPPRESS,
        Rule.QUIET_HOURS,
        Reason.PAST_DELIVER_BY,
    )
    assert decide(roomy, customer(), [], at_night, RULES).outcome == Outcome.DEFER


def test_blacklist_is_reported_before_other_suppressions() -> None:
    duplicate = contact(NOW - timedelta(hours=1), trigger_event_id="evt-cart-1")

    decision = decide(request(), customer(blacklisted=True), [duplicate], NOW, RULES)

    assert decision.reason == Reason.BLACKLISTED


def test_the_decision_ignores_history_order_and_the_offset_of_now() -> None:
    history = [contact(local(SHANGHAI, 2026, 6, 10, h)) for h in (9, 10, 11)]
    shuffled = history[:]
    random.Random(7).shuffle(shuffled)

    assert decide(request(), customer(), shuffled, NOW, RULES) == decide(
        request(), customer(), history, NOW, RULES
    )
    in_shanghai_offset = NOW.astimezone(ZoneInfo(SHANGHAI))
    assert decide(request(), customer(), history, in_shanghai_offset, RULES) == decide(
        request(), customer(), history, NOW, RULES
    )


def test_naive_times_and_contradicting_requests_are_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        decide(request(), customer(), [], datetime(2026, 6, 10, 12), RULES)
    with pytest.raises(ValueError, match="cart_paid needs a cart_id"):
        request(cart_paid=True)
    with pytest.raises(ValueError, match="winback_tier"):
        request(journey_kind="winback")
    with pytest.raises(ValueError, match="repeat"):
        request(fallback_channels=(Channel.PUSH,))
    with pytest.raises(ValueError, match="time zone"):
        customer("Mars/Olympus_Mons")
