"""FCM HTTP v1: google-auth mints the service account's token against a loopback token endpoint
that checks its signed assertion; the send and FCM's error classes against a loopback FCM; an
unregistered token is removed from the customer by the real delivery path."""

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from channels.base import DeliveryError
from channels.fcm import FcmSender
from channels.settings import ChannelSettings, FcmSettings
from models.channels import Channel
from tests.channels.delivery_rig import delivery_rig, outgoing
from tests.fakes.fcm_api import FakeFcm

TOKEN = "fcm-registration-token:APA91bH-1"


@pytest.fixture(scope="module")
def fcm() -> Iterator[FakeFcm]:
    fake = FakeFcm()
    yield fake
    fake.close()


def settings(fake: FakeFcm, key: dict[str, str] | None = None) -> FcmSettings:
    return FcmSettings(
        provider="fcm",
        base_url=fake.base_url,
        service_account_json=SecretStr(json.dumps(key or fake.service_account())),
        timeout_seconds=2,
    )


async def test_google_auth_mints_the_token_once_and_the_send_is_fcm_v1(fcm: FakeFcm) -> None:
    sender = FcmSender(settings(fcm))
    fetched = fcm.token_requests
    message = outgoing(Channel.PUSH, TOKEN)
    name = await sender.send(message)
    await sender.send(outgoing(Channel.PUSH, TOKEN))

    assert fcm.token_requests == fetched + 1  # kept while valid
    assert name.startswith("projects/shop-app/messages/0:")
    sent = fcm.sent_to(TOKEN)[-2]
    assert sent == {
        "token": TOKEN,
        "notification": {"title": message.title, "body": message.body},
        "data": {"message_id": message.message_id, "url": message.cta_url},
        # A repeat replaces the first notification instead of showing a second one.
        "android": {"notification": {"tag": message.message_id}},
        "apns": {"headers": {"apns-collapse-id": message.message_id}},
    }

    fcm.queue("revoke")  # Google stops taking the token: a new one, once
    await sender.send(outgoing(Channel.PUSH, TOKEN))
    assert fcm.token_requests == fetched + 2


async def test_fcm_errors_are_read_as_fcm_documents_them(fcm: FakeFcm) -> None:
    sender = FcmSender(settings(fcm))
    assert sender.idempotent
    fcm.queue("unregistered")
    with pytest.raises(DeliveryError) as gone:
        await sender.send(outgoing(Channel.PUSH, TOKEN))
    assert (gone.value.reason, gone.value.final, gone.value.dead_address) == (
        "unregistered",
        True,
        TOKEN,
    )
    for behaviour, reason, after in (
        ("quota", "rate_limited", timedelta(seconds=3)),
        ("unavailable", "unavailable", None),
        ("internal", "internal", None),
    ):
        fcm.queue(behaviour)
        with pytest.raises(DeliveryError) as passing:
            await sender.send(outgoing(Channel.PUSH, TOKEN))
        assert (passing.value.reason, passing.value.final, passing.value.retry_after) == (
            reason,
            False,
            after,
        )
        assert passing.value.dead_address is None
    fcm.queue("invalid_argument")
    with pytest.raises(DeliveryError) as bad:
        await sender.send(outgoing(Channel.PUSH, TOKEN))
    assert (bad.value.reason, bad.value.final, bad.value.dead_address) == (
        "invalid_argument",
        True,
        None,
    )


async def test_a_key_google_does_not_know_stops_push_for_good(fcm: FakeFcm) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key = fcm.service_account() | {
        "private_key": other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
    }
    with pytest.raises(DeliveryError) as refused:
        await FcmSender(settings(fcm, key)).send(outgoing(Channel.PUSH, TOKEN))
    assert (refused.value.reason, refused.value.final) == ("fcm_token_refused", True)


async def test_an_unregistered_token_is_removed_and_the_message_moves_on(
    temporal_env: WorkflowEnvironment, database_url: str, tmp_path: Path, fcm: FakeFcm
) -> None:
    channels = ChannelSettings(push=settings(fcm))
    async with delivery_rig(temporal_env, database_url, tmp_path, channels) as rig:
        token = f"{TOKEN}-{tmp_path.name}"
        customer_id = await rig.customer(
            push_token=token, email="ada@example.com", consent={"push": True, "email": True}
        )
        fcm.queue("unregistered")
        decision = await rig.deliver(await rig.message(customer_id, Channel.PUSH), Channel.EMAIL)

        assert (decision.status, decision.channel, decision.reason) == (
            "sent",
            "email",
            "delivered_after_failover",
        )
        assert (await rig.profile(customer_id)).push_token is None
        assert fcm.sent_to(token) == []
