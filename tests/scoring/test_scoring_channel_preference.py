"""Channel order: the journey step's order, reordered by the customer's answers only on evidence
(enough sends on both channels and a clear lead); the product's priority is the rates' prior."""

import pytest

from models.channels import Channel
from scoring.channel_preference import ChannelResponse, rank_channels, response_rate, sms_allowed
from scoring.segments import IntentSegment
from scoring.settings import ChannelPreferenceSettings

SETTINGS = ChannelPreferenceSettings()


def test_without_history_the_step_order_decides_not_the_global_priority() -> None:
    # The welcome's day-1 step lists email before in-app: email goes first.
    assert rank_channels([Channel.EMAIL, Channel.INAPP], {}, SETTINGS) == [
        Channel.EMAIL,
        Channel.INAPP,
    ]
    step = [Channel.SMS, Channel.EMAIL, Channel.PUSH, Channel.WECHAT, Channel.INAPP]
    assert rank_channels(step, {}, SETTINGS) == step


def test_a_customer_who_answers_email_and_ignores_push_gets_email_first() -> None:
    history = {
        Channel.EMAIL: ChannelResponse(sent=6, opened=4, clicked=2),
        Channel.PUSH: ChannelResponse(sent=6, opened=0, clicked=0),
    }
    # Wechat has no sends: neither passed nor passing, push and email swap around it only
    # where they are neighbours.
    assert rank_channels([Channel.PUSH, Channel.EMAIL, Channel.WECHAT], history, SETTINGS) == [
        Channel.EMAIL,
        Channel.PUSH,
        Channel.WECHAT,
    ]
    assert rank_channels([Channel.PUSH, Channel.WECHAT, Channel.EMAIL], history, SETTINGS) == [
        Channel.PUSH,
        Channel.WECHAT,
        Channel.EMAIL,
    ]


def test_too_few_sends_or_too_small_a_lead_keep_the_step_order() -> None:
    few = {
        Channel.INAPP: ChannelResponse(sent=4, opened=4),
        Channel.EMAIL: ChannelResponse(sent=4, opened=0),
    }
    assert rank_channels([Channel.EMAIL, Channel.INAPP], few, SETTINGS) == [
        Channel.EMAIL,
        Channel.INAPP,
    ]
    # Five sends each: in-app's 0.20 against email's 0.17 is a lead under ten points.
    close = {
        Channel.INAPP: ChannelResponse(sent=5, opened=2),
        Channel.EMAIL: ChannelResponse(sent=5, opened=2),
    }
    assert response_rate(Channel.INAPP, close[Channel.INAPP], SETTINGS) == pytest.approx(3 / 15)
    assert rank_channels([Channel.EMAIL, Channel.INAPP], close, SETTINGS) == [
        Channel.EMAIL,
        Channel.INAPP,
    ]
    clear = {
        Channel.INAPP: ChannelResponse(sent=5, opened=4),
        Channel.EMAIL: ChannelResponse(sent=5, opened=0),
    }
    assert rank_channels([Channel.EMAIL, Channel.INAPP], clear, SETTINGS) == [
        Channel.INAPP,
        Channel.EMAIL,
    ]


def test_reordering_stays_within_the_step_channels() -> None:
    history = {Channel.SMS: ChannelResponse(sent=9, opened=9), Channel.EMAIL: ChannelResponse()}
    assert rank_channels([Channel.EMAIL], history, SETTINGS) == [Channel.EMAIL]


def test_clicks_without_opens_count_and_answers_never_exceed_sends() -> None:
    sms_clicks = ChannelResponse(sent=4, opened=0, clicked=2)
    assert response_rate(Channel.SMS, sms_clicks, SETTINGS) == pytest.approx((2 + 0.4) / 14)
    inflated = ChannelResponse(sent=2, opened=5, clicked=0)
    assert response_rate(Channel.EMAIL, inflated, SETTINGS) == pytest.approx((2 + 0.6) / 12)


def test_equal_rates_keep_the_step_order() -> None:
    same = ChannelResponse(sent=10, opened=3, clicked=1)
    history = {Channel.PUSH: same, Channel.INAPP: same}
    assert rank_channels([Channel.PUSH, Channel.INAPP], history, SETTINGS) == [
        Channel.PUSH,
        Channel.INAPP,
    ]
    zero_lead = ChannelPreferenceSettings(min_rate_lead=0.0)
    assert rank_channels([Channel.PUSH, Channel.INAPP], history, zero_lead) == [
        Channel.PUSH,
        Channel.INAPP,
    ]


def test_sms_only_for_hot_intent_or_critical_reminders() -> None:
    assert sms_allowed(IntentSegment.HOT, critical=False)
    assert sms_allowed(IntentSegment.COLD, critical=True)
    assert not sms_allowed(IntentSegment.WARM, critical=False)
