"""APNs: the send over HTTP/2 to a loopback APNs that checks the ES256 provider token with PyJWT,
Apple's error classes, and an unregistered device token removed by the real delivery path."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from channels.apns import ApnsSender
from channels.base import DeliveryError
from channels.settings import ApnsSettings, ChannelSettings
from models.channels import Channel
from tests.channels.delivery_rig import delivery_rig, outgoing
from tests.fakes.apns_api import KEY_ID, TEAM_ID, TOPIC, FakeApns

DEVICE = "a1b2c3d4" * 8


@pytest.fixture(scope="module")
def apns() -> Iterator[FakeApns]:
    fake = FakeApns()
    yield fake
    fake.close()


def settings(fake: FakeApns, **changes: object) -> ApnsSettings:
    values: dict[str, object] = {
        "provider": "apns",
        "base_url": fake.base_url,
        "team_id": TEAM_ID,
        "key_id": KEY_ID,
        "private_key": SecretStr(fake.signing_key()),
        "topic": TOPIC,
        "timeout_seconds": 2,
    }
    return ApnsSettings.model_validate(values | changes)


async def test_the_send_is_an_http2_post_with_an_es256_provider_token(apns: FakeApns) -> None:
    sender = ApnsSender(settings(apns))
    message = outgoing(Channel.PUSH, DEVICE)
    apns_id = await sender.send(message)
    again = await sender.send(message)  # a retry: the same apns-id and collapse id

    first, second = apns.delivered_to(DEVICE)[-2:]
    assert apns_id == again == first["headers"]["apns-id"]
    assert apns.requests[-1]["http_version"] == "2"
    headers = first["headers"]
    assert (headers["apns-topic"], headers["apns-push-type"], headers["apns-priority"]) == (
        TOPIC,
        "alert",
        "10",
    )
    assert headers["apns-collapse-id"] == second["headers"]["apns-collapse-id"]
    assert headers["apns-collapse-id"] == message.message_id
    assert first["payload"] == {
        "aps": {"alert": {"title": message.title, "body": message.body}},
        "message_id": message.message_id,
        "url": message.cta_url,
    }
    assert len(set(apns.jwts_seen[-2:])) == 1  # the provider token is kept, not made per send

    async with httpx.AsyncClient() as http1:  # APNs speaks nothing but HTTP/2
        response = await http1.post(f"{apns.base_url}/3/device/{DEVICE}", json={})
    assert response.status_code == 505


async def test_apples_errors_are_read_as_apple_documents_them(apns: FakeApns) -> None:
    sender = ApnsSender(settings(apns))
    apns.queue("unregistered")
    with pytest.raises(DeliveryError) as gone:
        await sender.send(outgoing(Channel.PUSH, DEVICE))
    assert (gone.value.reason, gone.value.final, gone.value.dead_address) == (
        "unregistered",
        True,
        DEVICE,
    )
    apns.queue("bad_token")  # often a sandbox token sent to production: kept
    with pytest.raises(DeliveryError) as bad:
        await sender.send(outgoing(Channel.PUSH, DEVICE))
    assert (bad.value.reason, bad.value.final, bad.value.dead_address) == (
        "bad_device_token",
        True,
        None,
    )
    for behaviour, reason in (
        ("too_many", "too_many_requests"),
        ("unavailable", "service_unavailable"),
    ):
        apns.queue(behaviour)
        with pytest.raises(DeliveryError) as passing:
            await sender.send(outgoing(Channel.PUSH, DEVICE))
        assert (passing.value.reason, passing.value.final) == (reason, False)

    used = len(apns.jwts_seen)
    apns.queue("expire_jwt")  # Apple calls the token expired: a new one, once
    await sender.send(outgoing(Channel.PUSH, DEVICE))
    assert apns.jwts_seen[used] != apns.jwts_seen[-1]

    wrong_team = ApnsSender(settings(apns, team_id="OTHERTEAM1"))
    with pytest.raises(DeliveryError) as refused:
        await wrong_team.send(outgoing(Channel.PUSH, DEVICE))
    assert (refused.value.reason, refused.value.final) == ("invalid_provider_token", True)


async def test_an_unregistered_device_is_removed_and_never_retried(
    temporal_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path, apns: FakeApns
) -> None:
    channels = ChannelSettings(push=settings(apns))
    async with delivery_rig(temporal_env, sqlite_url, tmp_path, channels) as rig:
        device = "ffee" * 16
        customer_id = await rig.customer(push_token=device, consent={"push": True})
        apns.queue("unregistered")
        before = len(apns.requests)
        decision = await rig.deliver(await rig.message(customer_id, Channel.PUSH))

        assert (decision.status, decision.reason) == ("failed", "unregistered")
        assert len(apns.requests) == before + 1  # one call, no retry
        assert (await rig.profile(customer_id)).push_token is None
