"""The customer's own preferences beside the business rules: the stricter holds, and the
decision says whose rule it was."""

from datetime import time

from guardrails import GuardrailSettings, Outcome, Reason, Rule, decide
from models.channels import Channel
from models.preferences import CustomerPreferences, RuleSource
from tests.guardrails.cases import SHANGHAI, contact, customer, local, request

RULES = GuardrailSettings()


def prefers(**preferences: object) -> CustomerPreferences:
    return CustomerPreferences.model_validate(preferences)


def test_the_customers_quiet_hours_defer_to_their_own_morning() -> None:
    at_eight_pm = local(SHANGHAI, 2026, 6, 10, 20)
    own = customer(preferences=prefers(quiet_hours_start=time(19), quiet_hours_end=time(10, 30)))

    decision = decide(request(), own, [], at_eight_pm, RULES)
    business_only = decide(request(), customer(), [], at_eight_pm, RULES)

    assert (decision.outcome, decision.rule, decision.source) == (
        Outcome.DEFER,
        Rule.QUIET_HOURS,
        RuleSource.CUSTOMER,
    )
    assert decision.until == local(SHANGHAI, 2026, 6, 11, 10, 30)
    assert business_only.outcome == Outcome.SEND


def test_business_quiet_hours_still_hold_when_the_customers_are_shorter() -> None:
    at_eleven_pm = local(SHANGHAI, 2026, 6, 10, 23)
    own = customer(preferences=prefers(quiet_hours_start=time(23, 30), quiet_hours_end=time(6)))

    decision = decide(request(), own, [], at_eleven_pm, RULES)

    assert (decision.rule, decision.source) == (Rule.QUIET_HOURS, RuleSource.BUSINESS)
    assert decision.until == local(SHANGHAI, 2026, 6, 11, 9)


def test_a_lower_daily_cap_of_the_customer_defers_the_second_message() -> None:
    noon = local(SHANGHAI, 2026, 6, 10, 12)
    earlier = [contact(local(SHANGHAI, 2026, 6, 10, 10))]

    decision = decide(request(), customer(preferences=prefers(max_per_day=1)), earlier, noon, RULES)
    higher = decide(request(), customer(preferences=prefers(max_per_day=5)), earlier, noon, RULES)

    assert (decision.outcome, decision.rule, decision.source) == (
        Outcome.DEFER,
        Rule.DAILY_CAP,
        RuleSource.CUSTOMER,
    )
    assert decision.until == local(SHANGHAI, 2026, 6, 11, 9)
    assert higher.outcome == Outcome.SEND  # a laxer wish does not lift the business cap


def test_a_channel_turned_off_moves_the_message_to_the_next() -> None:
    noon = local(SHANGHAI, 2026, 6, 10, 12)
    own = customer(preferences=prefers(channels_off=[Channel.PUSH]))

    decision = decide(request(fallback_channels=(Channel.EMAIL,)), own, [], noon, RULES)

    assert (decision.channel, decision.rule, decision.reason, decision.source) == (
        Channel.EMAIL,
        Rule.CHANNEL_PREFERENCE,
        Reason.REROUTED,
        RuleSource.CUSTOMER,
    )


def test_past_deliver_by_names_the_rule_standing_at_the_deadline() -> None:
    # At 23:00 quiet hours hold until 09:00; at 09:00 the customer's own cap of one a day
    # (another journey sent one at 00:30) holds until the next morning, past the 10:00 deadline.
    at_night = local(SHANGHAI, 2026, 6, 10, 23)
    sent_today = [contact(local(SHANGHAI, 2026, 6, 11, 0, 30))]
    own = customer(preferences=prefers(max_per_day=1))
    reminder = request(deliver_by=local(SHANGHAI, 2026, 6, 11, 10))

    decision = decide(reminder, own, sent_today, at_night, RULES)

    assert (decision.outcome, decision.reason) == (Outcome.SUPPRESS, Reason.PAST_DELIVER_BY)
    assert (decision.rule, decision.blocked_by, decision.source) == (
        Rule.DAILY_CAP,
        Reason.DAILY_CAP,
        RuleSource.CUSTOMER,
    )


def test_a_lower_weekly_cap_of_the_customer_defers_to_next_monday() -> None:
    wednesday_noon = local(SHANGHAI, 2026, 6, 10, 12)
    this_week = [contact(local(SHANGHAI, 2026, 6, day, 10)) for day in (8, 9)]

    decision = decide(
        request(), customer(preferences=prefers(max_per_week=2)), this_week, wednesday_noon, RULES
    )

    assert (decision.outcome, decision.rule, decision.source) == (
        Outcome.DEFER,
        Rule.WEEKLY_CAP,
        RuleSource.CUSTOMER,
    )
    assert decision.until == local(SHANGHAI, 2026, 6, 15, 9)  # Monday morning
    assert decide(request(), customer(), this_week, wednesday_noon, RULES).outcome == Outcome.SEND
