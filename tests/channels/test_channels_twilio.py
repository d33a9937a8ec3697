"""Twilio: the send against a loopback Messaging API that Twilio's own client also talks to, and
the status and inbound callbacks signed by Twilio's own `RequestValidator`."""

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from channels.base import DeliveryError, OutcomeUnknown
from channels.settings import ChannelSettings, TwilioSettings
from channels.twilio import TwilioSender
from models.channels import Channel
from storage.audit import audit_entries
from tests.channels.callbacks import (
    PUBLIC_BASE_URL,
    api_with,
    bare,
    customer,
    ledger,
    profile,
    sent_message,
)
from tests.channels.delivery_rig import delivery_rig, outgoing
from tests.conftest import Stack, unique
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio

NUMBER = "+14155550123"


@pytest.fixture(scope="module")
def twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    yield fake
    fake.close()


def settings(fake: FakeTwilio | None = None) -> TwilioSettings:
    return TwilioSettings(
        provider="twilio",
        base_url=fake.base_url if fake else "https://api.twilio.com",
        account_sid=ACCOUNT_SID,
        auth_token=SecretStr(AUTH_TOKEN),
        from_number=FROM_NUMBER,
        timeout_seconds=2,
    )


def sender(fake: FakeTwilio) -> TwilioSender:
    return TwilioSender(settings(fake), PUBLIC_BASE_URL)


async def test_the_send_is_the_request_twilios_own_client_makes(twilio: FakeTwilio) -> None:
    message = outgoing(Channel.SMS, NUMBER, body="Your cart is saved.")
    sid = await sender(twilio).send(message)

    official = Client(ACCOUNT_SID, AUTH_TOKEN)
    official.api.base_url = twilio.base_url  # the same fake, through Twilio's library
    created = official.messages.create(
        to=NUMBER, from_=FROM_NUMBER, body="hello", status_callback=f"{PUBLIC_BASE_URL}/cb"
    )

    ours, theirs = twilio.requests[-2], twilio.requests[-1]
    assert ours["path"] == theirs["path"] and ours["auth"] == theirs["auth"]
    assert set(ours["form"]) == set(theirs["form"]) == {"To", "From", "Body", "StatusCallback"}
    assert created.sid in twilio.messages and created.status == "queued"  # its reply reads right
    form = twilio.messages[sid]
    assert form["To"] == NUMBER and form["From"] == FROM_NUMBER
    assert form["Body"] == "Still thinking it over? Your cart is saved. Back to my cart " + (
        "Reply STOP to opt out"
    )
    callback = urlsplit(form["StatusCallback"])
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == (
        f"{PUBLIC_BASE_URL}/v1/webhooks/twilio/status"
    )
    assert parse_qs(callback.query) == {"message_id": [message.message_id]}


async def test_refusals_are_read_as_twilio_documents_them(twilio: FakeTwilio) -> None:
    twilio_sender = sender(twilio)
    assert not twilio_sender.idempotent  # no idempotency key in Twilio's API
    for behaviour, reason in (("429", "rate_limited"), ("503", "http_503")):
        twilio.queue(behaviour)
        with pytest.raises(DeliveryError) as passing:
            await twilio_sender.send(outgoing(Channel.SMS, NUMBER))
        assert (passing.value.reason, passing.value.final) == (reason, False)
    for behaviour, reason in (("invalid_number", "invalid_number"), ("opted_out", "opted_out")):
        twilio.queue(behaviour)
        with pytest.raises(DeliveryError) as final:
            await twilio_sender.send(outgoing(Channel.SMS, NUMBER))
        assert (final.value.reason, final.value.final) == (reason, True)

    number = "+14155550199"
    twilio.queue("500")
    with pytest.raises(OutcomeUnknown):  # taken, then a 500: it may well go out
        await twilio_sender.send(outgoing(Channel.SMS, number))
    assert len(twilio.sent_to(number)) == 1

    wrong = TwilioSender(
        settings(twilio).model_copy(update={"auth_token": SecretStr("x" * 32)}), PUBLIC_BASE_URL
    )
    with pytest.raises(DeliveryError) as refused:
        await wrong.send(outgoing(Channel.SMS, NUMBER))
    assert (refused.value.reason, refused.value.final) == ("twilio_20003", True)


async def test_a_500_is_never_resent_so_the_customer_gets_one_sms(
    temporal_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path, twilio: FakeTwilio
) -> None:
    number = "+14155550142"
    channels = ChannelSettings(public_base_url=PUBLIC_BASE_URL, sms=settings(twilio))
    async with delivery_rig(temporal_env, sqlite_url, tmp_path, channels) as rig:
        customer_id = await rig.customer(phone=number, consent={"sms": True})
        message_id = await rig.message(customer_id, Channel.SMS)
        twilio.queue("500")
        decision = await rig.deliver(message_id)
        assert (decision.status, decision.reason) == ("sent", "delivery_unconfirmed")
        assert len(twilio.sent_to(number)) == 1
        delivered = await rig.deliver(await rig.message(customer_id, Channel.SMS))
        assert (delivered.status, delivered.reason) == ("sent", "delivered")
        assert len(twilio.sent_to(number)) == 2


def signed(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> dict:
    """The request Twilio makes: form-encoded, signed by Twilio's own validator."""
    return {
        "data": params,
        "headers": {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, params)},
    }


@pytest.fixture
async def api(temporal_env: WorkflowEnvironment, database_url: str, tmp_path: Path):
    channels = ChannelSettings(public_base_url=PUBLIC_BASE_URL, sms=settings())
    async with api_with(temporal_env, database_url, tmp_path, channels) as stack:
        yield stack


async def status(stack: Stack, message_id: str | None, **params: str) -> int:
    path = "/v1/webhooks/twilio/status" + (f"?message_id={message_id}" if message_id else "")
    url = PUBLIC_BASE_URL + path
    async with bare(stack) as client:
        return (await client.post(path, **signed(url, params))).status_code


async def test_status_callbacks_reach_the_ledger_once(api: Stack) -> None:
    customer_id = await customer(api, phone=NUMBER)
    sid = "SM" + unique("x").replace("-", "")
    message_id = await sent_message(api, customer_id, Channel.SMS, provider_ref=sid)
    base = {"AccountSid": ACCOUNT_SID, "MessageSid": sid, "SmsSid": sid, "To": NUMBER}

    assert await status(api, message_id, **base, MessageStatus="sent") == 204  # a step: nothing
    assert (await ledger(api, message_id)).delivered_at is None
    assert await status(api, message_id, **base, MessageStatus="delivered") == 204
    delivered_at = (await ledger(api, message_id)).delivered_at
    assert delivered_at is not None
    assert await status(api, message_id, **base, MessageStatus="delivered") == 204  # a retry
    assert (await ledger(api, message_id)).delivered_at == delivered_at

    # Found by Twilio's SID when the callback URL carries no message id.
    bounced_sid = "SM" + unique("y").replace("-", "")
    bounced = await sent_message(api, customer_id, Channel.SMS, provider_ref=bounced_sid)
    assert (
        await status(
            api,
            None,
            **(base | {"MessageSid": bounced_sid}),
            MessageStatus="undelivered",
            ErrorCode="30003",
        )
        == 204
    )
    row = await ledger(api, bounced)
    assert (row.status, row.reason, row.bounced_at is not None) == ("failed", "bounced", True)


async def test_callbacks_not_signed_by_twilio_are_refused(api: Stack) -> None:
    customer_id = await customer(api, phone=NUMBER)
    sid = "SM" + unique("x").replace("-", "")
    message_id = await sent_message(api, customer_id, Channel.SMS, provider_ref=sid)
    params = {"MessageSid": sid, "MessageStatus": "delivered"}
    path = f"/v1/webhooks/twilio/status?message_id={message_id}"
    async with bare(api) as client:
        forged = signed(PUBLIC_BASE_URL + path, params, token="not-the-auth-token-0123456789ab")
        assert (await client.post(path, **forged)).status_code == 401
        other_message = signed(PUBLIC_BASE_URL + path.replace(message_id, "m_other"), params)
        assert (await client.post(path, **other_message)).status_code == 401
        tampered = signed(PUBLIC_BASE_URL + path, params)
        tampered["data"] = params | {"MessageStatus": "undelivered"}
        assert (await client.post(path, **tampered)).status_code == 401
        assert (await client.post(path, data=params)).status_code == 401
    assert (await ledger(api, message_id)).delivered_at is None


async def test_a_stop_reply_unsubscribes_the_number_from_every_channel(api: Stack) -> None:
    first = await customer(api, phone=NUMBER, email="a@example.com")
    second = await customer(api, phone=NUMBER.removeprefix("+"))  # the same number, stored bare
    other = await customer(api, phone="+14155550100")
    sms = await sent_message(api, first, Channel.SMS)
    path = "/v1/webhooks/twilio/inbound"

    async def reply(number: str, body: str, **extra: str) -> None:
        params = {"From": number, "To": FROM_NUMBER, "Body": body, "MessageSid": "SM1", **extra}
        async with bare(api) as client:
            response = await client.post(path, **signed(PUBLIC_BASE_URL + path, params))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/xml")
        assert "<Response></Response>" in response.text

    await reply(NUMBER, "Thanks, see you soon")
    assert (await profile(api, first)).unsubscribed_channels == []

    await reply(NUMBER, " Stop ")
    for customer_id in (first, second):
        row = await profile(api, customer_id)
        assert set(row.unsubscribed_channels) == {c.value for c in Channel}
        assert not any(row.consent.values())
    assert (await ledger(api, sms)).unsubscribed_at is not None  # the message it answered
    assert (await profile(api, other)).unsubscribed_channels == []

    await reply("+14155550100", "please no more", OptOutType="STOP")  # Twilio's own reading
    assert set((await profile(api, other)).unsubscribed_channels) == {c.value for c in Channel}
    async with api.sessions() as session:  # one audit record per customer unsubscribed
        audited = await audit_entries(session, "customer.unsubscribe")
    assert {(row.target, row.actor) for row in audited if row.target in (first, second, other)} == {
        (customer_id, "sms_reply:twilio_reply") for customer_id in (first, second, other)
    }


async def test_twilio_callbacks_are_404_when_twilio_is_not_configured(
    temporal_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    async with api_with(temporal_env, sqlite_url, tmp_path, ChannelSettings()) as stack:
        async with bare(stack) as client:
            url = PUBLIC_BASE_URL + "/v1/webhooks/twilio/inbound"
            response = await client.post(url, **signed(url, {"From": NUMBER, "Body": "STOP"}))
    assert response.status_code == 404


def test_twilio_settings_need_a_sender() -> None:
    with pytest.raises(ValueError, match="from_number or messaging_service_sid"):
        TwilioSettings(provider="twilio", account_sid=ACCOUNT_SID, auth_token=SecretStr("t"))
