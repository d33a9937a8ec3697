"""Email over a real SMTP server (aiosmtpd): the headers, the two parts, the links in them."""

import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from pydantic import SecretStr

from channels.base import DeliveryError
from channels.compose import MessageComposer
from channels.link_tokens import LinkPurpose
from channels.settings import ChannelSettings, EmailChannelSettings
from channels.setup import composer_from_settings, link_tokens
from channels.smtp import SmtpSender
from models.channels import Channel
from models.customers import Customer
from settings import Settings
from tests.conftest import unique
from tests.smtp_server import SmtpSink

TRACKING = "tracking-secret-0123456789"
UNSUBSCRIBE = "unsubscribe-secret-0123456789"


def email_settings(host: str, port: int, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        smtp_host=host,
        smtp_port=port,
        smtp_timeout_seconds=2.0,
        email_from="Shop <noreply@shop.example>",
        guardrails={"unsubscribe_secret": UNSUBSCRIBE},
        channels=ChannelSettings(
            public_base_url="https://journeys.shop.example",
            tracking_secret=SecretStr(TRACKING),
            email=EmailChannelSettings(unsubscribe_mailto="unsubscribe@shop.example"),
        ),
    )


def compose(composer: MessageComposer, address: str, **copy: str):
    customer = Customer(customer_id=unique("c"), email=address, locale="en", attributes={})
    values = {
        "title": "Still thinking it over?",
        "body": "Your cart is saved.\nQuestions? We are here to help.",
        "cta": "Back to my cart",
        **copy,
    }
    return composer.compose(
        message_id="m_" + unique("x"),
        idempotency_key=unique("cart_abandonment:c") + ":evt-1:stage_1",
        journey="cart_abandonment",
        step="stage_1",
        channel=Channel.EMAIL,
        customer=customer,
        address=address,
        disclaimers=["Free returns within 7 days."],
        trigger_coupon_id=None,
        now=datetime.now(UTC),
        **values,
    )


def parts(mail: Message) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in mail.walk()
        if not part.is_multipart()
    }


async def test_a_mail_carries_message_id_unsubscribe_headers_and_both_parts(
    smtp: SmtpSink, tmp_path: Path
) -> None:
    settings = email_settings(smtp.host, smtp.port, tmp_path)
    address = f"{unique('ada')}@example.com"
    message = compose(composer_from_settings(settings), address)

    reference = await SmtpSender(settings).send(message)

    [mail] = smtp.to(address)
    assert mail["Message-ID"].strip() == reference and message.message_id in reference
    assert mail["X-Journeys-Message-Id"] == message.message_id
    assert mail["X-Idempotency-Key"] == message.message_id  # the key names customer and event
    assert mail["Subject"] == "Still thinking it over?" and mail["Date"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    urls = re.findall(r"<([^>]+)>", mail["List-Unsubscribe"])
    assert urls[1] == "mailto:unsubscribe@shop.example"
    assert urls[0].startswith("https://journeys.shop.example/v1/unsubscribe/")
    tokens, now = link_tokens(settings), datetime.now(UTC)
    claim = tokens.read(urls[0].rsplit("/", 1)[1], LinkPurpose.UNSUBSCRIBE, now)
    assert claim.customer_id == message.customer_id

    assert mail.get_content_type() == "multipart/alternative"
    body = parts(mail)
    assert set(body) == {"text/plain", "text/html"}
    text, html = body["text/plain"], body["text/html"]
    assert "Your cart is saved." in text and "Free returns within 7 days." in text
    assert f"Back to my cart: {message.cta_url}" in text and urls[0] in text
    assert f'href="{message.cta_url}"' in html and f'src="{message.open_pixel_url}"' in html
    assert urls[0] in html

    click = tokens.read(message.cta_url.rsplit("/", 1)[1], LinkPurpose.CLICK, now)
    assert click.message_id == message.message_id
    assert click.url == (
        "https://shop.example.com/?utm_source=journeys&utm_medium=email"
        "&utm_campaign=cart_abandonment"
    )
    pixel = message.open_pixel_url.removesuffix(".gif").rsplit("/", 1)[1]
    assert tokens.read(pixel, LinkPurpose.OPEN, now).message_id == message.message_id


async def test_copy_is_escaped_in_the_html_part(smtp: SmtpSink, tmp_path: Path) -> None:
    settings = email_settings(smtp.host, smtp.port, tmp_path)
    address = f"{unique('ada')}@example.com"
    message = compose(composer_from_settings(settings), address, body="Save <b>now</b> & more")
    await SmtpSender(settings).send(message)
    html = parts(smtp.to(address)[0])["text/html"]
    assert "Save &lt;b&gt;now&lt;/b&gt; &amp; more" in html


class Refusing:
    """An SMTP server that refuses some recipients (550) and is busy for others (451)."""

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if address.startswith("nobody"):
            return "550 5.1.1 no such mailbox"
        if address.startswith("busy"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "250 accepted"


@pytest.fixture(scope="module")
def refusing() -> Iterator[tuple[str, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        host, port = probe.getsockname()
    controller = Controller(Refusing(), hostname=host, port=port)
    controller.start()
    yield host, port
    controller.stop()


async def test_a_refused_recipient_is_final_and_a_busy_server_is_retried(
    refusing: tuple[str, int], tmp_path: Path
) -> None:
    settings = email_settings(*refusing, tmp_path)
    composer = composer_from_settings(settings)
    with pytest.raises(DeliveryError) as refused:
        await SmtpSender(settings).send(compose(composer, "nobody@example.com"))
    assert refused.value.final and refused.value.reason == "recipient_refused"
    with pytest.raises(DeliveryError) as busy:
        await SmtpSender(settings).send(compose(composer, "busy@example.com"))
    assert not busy.value.final
