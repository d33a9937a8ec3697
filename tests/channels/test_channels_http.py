"""Each HTTP sender against a loopback server speaking its protocol: the request it makes and how
it reads success, 429, 5xx, timeouts and refusals for good."""

import json
import socket
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr

from channels.base import DeliveryError, OutgoingMessage, Sender
from channels.settings import HttpProviderSettings
from channels.setup import http_sender
from channels.sms import sms_text
from models.channels import Channel
from tests.conftest import unique
from tests.fakes.providers import API_KEY, FakeProviders, running_providers

HTTP_CHANNELS = (Channel.SMS, Channel.PUSH, Channel.INAPP, Channel.WECHAT)
ADDRESSES = {
    Channel.SMS: "+8613800000000",
    Channel.PUSH: "device-token-1",
    Channel.INAPP: "inbox",
    Channel.WECHAT: "openid-1",
}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProviders]:
    with running_providers() as providers:
        yield providers


def senders(fake: FakeProviders, signed_webhook: bool = False) -> dict[Channel, Sender]:
    settings = fake.channel_settings(signed_webhook=signed_webhook)
    return {
        c: http_sender(c, settings.http_provider(c), settings.public_base_url)
        for c in HTTP_CHANNELS
    }


def mentions(body: dict, message_id: str) -> bool:
    return message_id in json.dumps(body)


def message(channel: Channel, locale: str = "en", **fields: object) -> OutgoingMessage:
    key = unique("wf") + ":evt:stage_1"
    values = {
        "message_id": unique("m"),
        "idempotency_key": key,
        "customer_id": unique("c"),
        "channel": channel,
        "address": ADDRESSES[channel],
        "locale": locale,
        "title": "Still thinking it over?",
        "body": "Your cart is saved.",
        "cta": "Back to my cart",
        "cta_url": "https://shop.example.com/cart",
        **fields,
    }
    return OutgoingMessage.model_validate(values)


@pytest.mark.parametrize("signed_webhook", [False, True], ids=["native", "signed_webhook"])
async def test_every_provider_takes_a_message_once_per_idempotency_key(
    fake: FakeProviders, signed_webhook: bool
) -> None:
    for channel, sender in senders(fake, signed_webhook).items():
        assert sender.idempotent
        msg = message(channel)
        first = await sender.send(msg)
        again = await sender.send(msg)  # a retry after an unknown outcome

        assert first == again
        calls = [c for c in fake.calls(channel) if mentions(c.body, msg.message_id)]
        assert len(calls) == 2
        # WeChat's client_msg_id is the message id, itself derived from the idempotency key.
        native_wechat = channel == Channel.WECHAT and not signed_webhook
        carried = {
            c.body["client_msg_id"] if native_wechat else c.headers["idempotency-key"]
            for c in calls
        }
        assert carried == {msg.message_id if native_wechat else msg.idempotency_key}
        delivered = [b for b in fake.deliveries(channel).values() if mentions(b, msg.message_id)]
        assert len(delivered) == 1


async def test_requests_follow_each_documented_format(fake: FakeProviders) -> None:
    sent = {c: message(c, locale="zh-CN") for c in HTTP_CHANNELS}
    for channel, sender in senders(fake).items():
        await sender.send(sent[channel])

    def body(channel: Channel) -> dict:
        return next(
            c.body for c in fake.calls(channel) if mentions(c.body, sent[channel].message_id)
        )

    sms = body(Channel.SMS)
    assert sms["to"] == "+8613800000000" and sms["reference"] == sent[Channel.SMS].message_id
    assert sms["text"].endswith("回T退订")  # the customer's locale, from the guardrails
    push = body(Channel.PUSH)
    assert push["token"] == "device-token-1"
    assert push["data"] == {
        "message_id": sent[Channel.PUSH].message_id,
        "url": sent[Channel.PUSH].cta_url,
    }
    inbox = body(Channel.INAPP)
    assert (
        inbox["customer_id"] == sent[Channel.INAPP].customer_id
        and inbox["cta"] == "Back to my cart"
    )
    wechat = body(Channel.WECHAT)
    assert wechat["touser"] == "openid-1" and wechat["template_id"] == "tpl-1"
    assert wechat["client_msg_id"] == sent[Channel.WECHAT].message_id
    assert wechat["data"]["first"] == {"value": "Still thinking it over?"}
    calls = [
        c
        for c in fake.calls()
        if c.channel != "wechat" and any(mentions(c.body, m.message_id) for m in sent.values())
    ]
    assert len(calls) == 3
    assert {c.headers["authorization"] for c in calls} == {f"Bearer {API_KEY}"}


def test_sms_text_keeps_one_opt_out_line() -> None:
    own = message(Channel.SMS, body="Cart saved. Reply TD to opt out", title="", cta="")
    assert sms_text(own) == "Cart saved. Reply TD to opt out"
    bare = message(Channel.SMS, body="Cart saved.", title="", cta="")
    assert sms_text(bare) == "Cart saved. Reply STOP to opt out"


@pytest.mark.parametrize("signed_webhook", [False, True], ids=["native", "signed_webhook"])
async def test_429_and_5xx_are_retryable_and_429_carries_retry_after(
    fake: FakeProviders, signed_webhook: bool
) -> None:
    fake.retry_after = 7
    for channel, sender in senders(fake, signed_webhook).items():
        fake.queue(channel, "429", "500")
        msg = message(channel)
        with pytest.raises(DeliveryError) as limited:
            await sender.send(msg)
        assert not limited.value.final and limited.value.retry_after == timedelta(seconds=7)
        with pytest.raises(DeliveryError) as failed:
            await sender.send(msg)
        assert not failed.value.final and failed.value.retry_after is None
        assert not [b for b in fake.deliveries(channel).values() if mentions(b, msg.message_id)]
    fake.retry_after = 1


@pytest.mark.parametrize("signed_webhook", [False, True], ids=["native", "signed_webhook"])
async def test_refusals_for_good_are_final_with_the_providers_reason(
    fake: FakeProviders, signed_webhook: bool
) -> None:
    expected = {
        Channel.SMS: "invalid_number",
        Channel.PUSH: "unregistered",
        Channel.INAPP: "unknown_user",
        Channel.WECHAT: "not_following",
    }
    for channel, sender in senders(fake, signed_webhook).items():
        fake.queue(channel, "final")
        with pytest.raises(DeliveryError) as refused:
            await sender.send(message(channel))
        assert refused.value.final
        assert refused.value.reason == ("rejected" if signed_webhook else expected[channel])


@pytest.mark.parametrize("signed_webhook", [False, True], ids=["native", "signed_webhook"])
async def test_a_timeout_after_the_request_went_out_is_an_unknown_outcome(
    fake: FakeProviders, signed_webhook: bool
) -> None:
    for channel, sender in senders(fake, signed_webhook).items():
        fake.queue(channel, "timeout")
        msg = message(channel)
        with pytest.raises(httpx.ReadTimeout):  # not a DeliveryError: it may have gone
            await sender.send(msg)
        await sender.send(msg)  # the retry, same key
        delivered = [b for b in fake.deliveries(channel).values() if mentions(b, msg.message_id)]
        assert len(delivered) == 1


async def test_an_unreachable_provider_is_certainly_not_delivered() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens there
    settings = HttpProviderSettings(base_url=f"http://127.0.0.1:{port}", api_key=SecretStr("k"))
    with pytest.raises(DeliveryError) as refused:
        await http_sender(Channel.SMS, settings, "").send(message(Channel.SMS))
    assert refused.value.reason == "provider_unreachable" and not refused.value.final


async def test_wechat_fetches_a_new_token_when_told_it_expired(fake: FakeProviders) -> None:
    sender = senders(fake)[Channel.WECHAT]
    await sender.send(message(Channel.WECHAT))
    fetched = fake.token_fetches
    await sender.send(message(Channel.WECHAT))
    assert fake.token_fetches == fetched  # kept between sends

    fake.queue("wechat", "token_expired")
    msg = message(Channel.WECHAT)
    await sender.send(msg)
    assert fake.token_fetches == fetched + 1
    assert [
        b for b in fake.deliveries("wechat").values() if b.get("client_msg_id") == msg.message_id
    ]
