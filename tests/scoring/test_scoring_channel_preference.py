"""Channel order from the customer's response history, with the product's priority as prior."""

import pytest

from models.channels import CHANNEL_PRIORITY, Channel
from scoring.channel_preference import ChannelResponse, rank_channels, response_rate, sms_allowed
from scoring.segments import IntentSegment
from scoring.settings import ChannelPreferenceSettings

SETTINGS = ChannelPreferenceSettings()


def test_without_history_the_product_priority_decides() -> None:
    shuffled = [Channel.SMS, Channel.EMAIL, Channel.PUSH, Channel.WECHAT, Channel.INAPP]
    assert rank_channels(shuffled, {}, SETTINGS) == list(CHANNEL_PRIORITY)


def test_a_customer_who_answers_email_gets_email_first() -> None:
    history = {
        Channel.EMAIL: ChannelResponse(sent=6, opened=4, clicked=2),
        Channel.PUSH: ChannelResponse(sent=6, opened=0, clicked=0),
    }
    ranked = rank_channels([Channel.PUSH, Channel.EMAIL, Channel.WECHAT], history, SETTINGS)
    assert ranked == [Channel.EMAIL, Channel.WECHAT, Channel.PUSH]


def test_one_lucky_answer_does_not_overturn_the_prior_but_a_habit_does() -> None:
    once = {Channel.SMS: ChannelResponse(sent=1, opened=0, clicked=1)}
    assert response_rate(Channel.SMS, once[Channel.SMS], SETTINGS) == pytest.approx(1.4 / 11)
    assert rank_channels([Channel.SMS, Channel.WECHAT], once, SETTINGS) == [
        Channel.SMS,
        Channel.WECHAT,
    ]
    ignored = {Channel.WECHAT: ChannelResponse(sent=1)}
    assert rank_channels([Channel.WECHAT, Channel.EMAIL], ignored, SETTINGS) == [
        Channel.WECHAT,
        Channel.EMAIL,
    ]  # 0.8/11 = 0.073 still beats email's prior 0.06
    ignored = {Channel.WECHAT: ChannelResponse(sent=4)}
    assert rank_channels([Channel.WECHAT, Channel.EMAIL], ignored, SETTINGS) == [
        Channel.EMAIL,
        Channel.WECHAT,
    ]


def test_clicks_without_opens_count_and_answers_never_exceed_sends() -> None:
    sms_clicks = ChannelResponse(sent=4, opened=0, clicked=2)
    assert response_rate(Channel.SMS, sms_clicks, SETTINGS) == pytest.approx((2 + 0.4) / 14)
    inflated = ChannelResponse(sent=2, opened=5, clicked=0)
    assert response_rate(Channel.EMAIL, inflated, SETTINGS) == pytest.approx((2 + 0.6) / 12)


def test_equal_rates_keep_priority() -> None:
    same = ChannelResponse(sent=10, opened=3, clicked=1)
    history = {Channel.PUSH: same, Channel.INAPP: same}
    assert rank_channels([Channel.PUSH, Channel.INAPP], history, SETTINGS) == [
        Channel.INAPP,
        Channel.PUSH,
    ]


def test_sms_only_for_hot_intent_or_critical_reminders() -> None:
    assert sms_allowed(IntentSegment.HOT, critical=False)
    assert sms_allowed(IntentSegment.COLD, critical=True)
    assert not sms_allowed(IntentSegment.WARM, critical=False)
