"""Email senders' event webhooks: SendGrid's signed Event Webhook (signatures checked with
SendGrid's own `EventWebhook` helper first) and Amazon SES through SNS (messages signed with a
test certificate served on loopback). Each email goes out over real SMTP first, and the events
name it the way the sender would from the headers it carries."""

import base64
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sendgrid.helpers.eventwebhook import EventWebhook
from temporalio.testing import WorkflowEnvironment

from channels.settings import (
    ChannelSettings,
    EmailChannelSettings,
    SendGridEventSettings,
    SesEventSettings,
)
from channels.smtp import SmtpSender
from models.channels import Channel
from models.tables import MessageRow
from tests.channels.callbacks import (
    PUBLIC_BASE_URL,
    bare,
    customer,
    ledger,
    profile,
    sent_message,
)
from tests.channels.delivery_rig import outgoing
from tests.conftest import Stack, make_settings
from tests.fakes.sns import FakeSns
from tests.smtp_server import SmtpSink

TOPIC = "arn:aws:sns:us-east-1:123456789012:ses-events"
SENDGRID_KEY = ec.generate_private_key(ec.SECP256R1())
VERIFICATION_KEY = base64.b64encode(
    SENDGRID_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()


@pytest.fixture(scope="module")
def sns() -> Iterator[FakeSns]:
    fake = FakeSns()
    yield fake
    fake.close()


@pytest.fixture
async def stack(
    temporal_env: WorkflowEnvironment, sqlite_url: str, smtp: SmtpSink, tmp_path: Path, sns: FakeSns
) -> AsyncIterator[Stack]:
    email = EmailChannelSettings(
        sendgrid=SendGridEventSettings(verification_key=VERIFICATION_KEY),
        ses=SesEventSettings(
            topic_arns=[TOPIC],
            certificate_url_pattern=rf"^{re.escape(sns.base_url)}/SimpleNotificationService-\w+\.pem$",
        ),
        ses_configuration_set="journeys",
    )
    settings = make_settings(
        sqlite_url,
        tmp_path,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_timeout_seconds=2.0,
        channels=ChannelSettings(public_base_url=PUBLIC_BASE_URL, email=email),
    )
    stack = Stack(settings, temporal_env.client)
    yield stack
    await stack.close()


async def mailed(stack: Stack, smtp: SmtpSink, customer_id: str, address: str) -> Message:
    """A ledger row sent over real SMTP, its provider reference kept as delivery keeps it."""
    message_id = await sent_message(stack, customer_id, Channel.EMAIL)
    unsubscribe = f"{PUBLIC_BASE_URL}/v1/unsubscribe/token-{uuid.uuid4().hex}"
    message = outgoing(Channel.EMAIL, address, message_id=message_id, unsubscribe_url=unsubscribe)
    reference = await SmtpSender(stack.settings).send(message)
    async with stack.sessions.begin() as session:
        row = await session.get(MessageRow, message_id)
        assert row is not None
        row.provider_ref = reference
    [mail] = [m for m in smtp.to(address) if m["X-Journeys-Message-Id"] == message_id]
    # Every marketing email offers mailbox providers' one-click unsubscribe (RFC 8058).
    assert mail["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    return mail


def sendgrid_events(mail: Message, *kinds: str, **fields: Any) -> list[dict[str, Any]]:
    """Events as SendGrid posts them for this email: its unique args copied into each."""
    unique_args = json.loads(mail["X-SMTPAPI"])["unique_args"]
    return [
        {
            "email": mail["To"],
            "timestamp": int(time.time()),
            "event": kind,
            "sg_event_id": uuid.uuid4().hex,
            "sg_message_id": f"{uuid.uuid4().hex}.filter0001",
            "smtp-id": mail["Message-ID"],
            **unique_args,
            **fields,
        }
        for kind in kinds
    ]


def sendgrid_signed(events: list[dict[str, Any]], key: ec.EllipticCurvePrivateKey = SENDGRID_KEY):
    payload = json.dumps(events)
    timestamp = str(int(time.time()))
    signature = base64.b64encode(
        key.sign((timestamp + payload).encode(), ec.ECDSA(hashes.SHA256()))
    ).decode()
    return payload, signature, timestamp


async def post_sendgrid(stack: Stack, payload: str, signature: str, timestamp: str) -> int:
    async with bare(stack) as client:
        response = await client.post(
            "/v1/webhooks/sendgrid/events",
            content=payload,
            headers={
                "Content-Type": "application/json",
                "X-Twilio-Email-Event-Webhook-Signature": signature,
                "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
            },
        )
    return response.status_code


async def test_sendgrid_events_reach_the_ledger_once(stack: Stack, smtp: SmtpSink) -> None:
    address = f"{uuid.uuid4().hex[:8]}@example.com"
    customer_id = await customer(stack, email=address)
    read, bounced, reported = [await mailed(stack, smtp, customer_id, address) for _ in range(3)]
    events = (
        sendgrid_events(read, "processed", "delivered", "open", "click")
        + sendgrid_events(read, "open", sg_machine_open=True)
        + sendgrid_events(bounced, "bounce", reason="550 5.1.1 user unknown", type="bounce")
        + sendgrid_events(reported, "spamreport")
    )
    del events[1]["journeys_message_id"]  # "delivered": found by its smtp-id alone
    signed = sendgrid_signed(events)
    # SendGrid's own helper takes this request as signed by the key it shows us.
    helper = EventWebhook()
    public = helper.convert_public_key_to_ecdsa(VERIFICATION_KEY)
    assert helper.verify_signature(signed[0], signed[1], signed[2], public)

    assert await post_sendgrid(stack, *signed) == 200
    assert await post_sendgrid(stack, *signed) == 200  # SendGrid's retry: nothing new

    row = await ledger(stack, read["X-Journeys-Message-Id"])
    assert row.delivered_at and row.opened_at and row.clicked_at
    row = await ledger(stack, bounced["X-Journeys-Message-Id"])
    assert (row.status, row.reason) == ("failed", "bounced")
    assert (await ledger(stack, reported["X-Journeys-Message-Id"])).complained_at is not None

    forged = sendgrid_signed(events, ec.generate_private_key(ec.SECP256R1()))
    assert await post_sendgrid(stack, *forged) == 401
    payload, signature, timestamp = sendgrid_signed(events)
    assert (
        await post_sendgrid(stack, payload.replace("spamreport", "delivered"), signature, timestamp)
        == 401
    )
    assert await post_sendgrid(stack, payload, signature, str(int(timestamp) + 1)) == 401

    unsubscribing = await mailed(stack, smtp, customer_id, address)
    assert (
        await post_sendgrid(stack, *sendgrid_signed(sendgrid_events(unsubscribing, "unsubscribe")))
        == 200
    )
    assert set((await profile(stack, customer_id)).unsubscribed_channels) == {
        c.value for c in Channel
    }


def ses_event(mail: Message, kind: str, **detail: Any) -> str:
    """An SES event-publishing record for this email: its message tags, as SES keeps them."""
    name, _, value = mail["X-SES-MESSAGE-TAGS"].partition("=")
    assert mail["X-SES-CONFIGURATION-SET"] == "journeys"
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps(
        {
            "eventType": kind,
            "mail": {
                "timestamp": now,
                "source": "noreply@shop.example",
                "messageId": "0100018c-ses-id",
                "destination": [mail["To"]],
                "commonHeaders": {"messageId": mail["Message-ID"], "to": [mail["To"]]},
                "tags": {name: [value], "ses:configuration-set": ["journeys"]},
            },
            kind.lower(): {"timestamp": now, **detail},
        }
    )


async def post_sns(stack: Stack, message: dict[str, str]) -> int:
    async with bare(stack) as client:
        response = await client.post(
            "/v1/webhooks/ses/notifications",
            content=json.dumps(message),
            headers={
                "Content-Type": "text/plain; charset=UTF-8",
                "x-amz-sns-message-type": message["Type"],
            },
        )
    return response.status_code


async def test_ses_events_through_sns_reach_the_ledger(
    stack: Stack, smtp: SmtpSink, sns: FakeSns
) -> None:
    assert await post_sns(stack, sns.subscription_confirmation(TOPIC)) == 200
    assert TOPIC in sns.confirmations

    address = f"{uuid.uuid4().hex[:8]}@example.com"
    customer_id = await customer(stack, email=address)
    read, bounced, complained = [await mailed(stack, smtp, customer_id, address) for _ in range(3)]
    delivered = sns.notification(TOPIC, ses_event(read, "Delivery"), version="1")
    for message in (
        delivered,
        delivered,  # SNS's retry
        sns.notification(TOPIC, ses_event(read, "Open")),
        sns.notification(TOPIC, ses_event(read, "Click", link="https://shop.example.com")),
        sns.notification(
            TOPIC, ses_event(bounced, "Bounce", bounceType="Permanent", bounceSubType="General")
        ),
        sns.notification(TOPIC, ses_event(complained, "Complaint", complaintFeedbackType="abuse")),
        sns.notification(TOPIC, ses_event(read, "Send")),
    ):
        assert await post_sns(stack, message) == 200

    row = await ledger(stack, read["X-Journeys-Message-Id"])
    assert row.delivered_at and row.opened_at and row.clicked_at
    row = await ledger(stack, bounced["X-Journeys-Message-Id"])
    assert (row.status, row.reason) == ("failed", "bounced")
    assert (await ledger(stack, complained["X-Journeys-Message-Id"])).complained_at is not None

    forged = sns.notification(TOPIC, ses_event(read, "Complaint"))
    forged["Message"] = forged["Message"].replace("Complaint", "Delivery")
    assert await post_sns(stack, forged) == 401
    elsewhere = sns.notification(TOPIC, ses_event(read, "Delivery"))
    elsewhere["SigningCertURL"] = "https://attacker.example/cert.pem"
    assert await post_sns(stack, elsewhere) == 401
    other_topic = "arn:aws:sns:us-east-1:123456789012:someone-else"
    assert await post_sns(stack, sns.notification(other_topic, ses_event(read, "Delivery"))) == 403
    assert await post_sns(stack, sns.notification(TOPIC, '{"not": "ses"}')) == 422
