"""The one token of every link a recipient holds: only our keys make or read one, it says
nothing to whoever holds it, it expires, keys rotate without breaking links already sent, and
the signed links sent before it keep working until they expire."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from channels.link_tokens import (
    ExpiredLinkError,
    LinkPurpose,
    LinkTokenError,
    LinkTokens,
)

OLD_KEY, NEW_KEY = "the-old-key-0123456789", "the-new-key-0123456789"
NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
LATER = NOW + timedelta(days=30)
TARGET = "https://shop.example.com/?utm_source=journeys"


def test_each_purpose_round_trips_and_is_read_for_its_purpose_only() -> None:
    tokens = LinkTokens([NEW_KEY])
    click = tokens.make(LinkPurpose.CLICK, LATER, message_id="m_1", url=TARGET)
    opened = tokens.make(LinkPurpose.OPEN, LATER, message_id="m_1")
    unsubscribe = tokens.make(LinkPurpose.UNSUBSCRIBE, LATER, customer_id="c-1")

    assert tokens.read(click, LinkPurpose.CLICK, NOW).url == TARGET
    assert tokens.read(opened, LinkPurpose.OPEN, NOW).message_id == "m_1"
    assert tokens.read(unsubscribe, LinkPurpose.UNSUBSCRIBE, NOW).customer_id == "c-1"
    with pytest.raises(LinkTokenError):
        tokens.read(opened, LinkPurpose.UNSUBSCRIBE, NOW)  # a pixel cannot unsubscribe anyone


def test_a_token_shows_nothing_it_carries() -> None:
    tokens = LinkTokens([NEW_KEY])
    token = tokens.make(LinkPurpose.UNSUBSCRIBE, LATER, customer_id="customer-4711")
    click = tokens.make(LinkPurpose.CLICK, LATER, message_id="m_feedface", url=TARGET)
    for text in (token, click):
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        for secret in (b"customer-4711", b"m_feedface", b"shop.example.com", b"utm_source"):
            assert secret not in raw and secret.decode() not in text


def test_tokens_expire() -> None:
    tokens = LinkTokens([NEW_KEY])
    token = tokens.make(LinkPurpose.UNSUBSCRIBE, LATER, customer_id="c-1")
    tokens.read(token, LinkPurpose.UNSUBSCRIBE, LATER - timedelta(seconds=1))
    with pytest.raises(ExpiredLinkError):
        tokens.read(token, LinkPurpose.UNSUBSCRIBE, LATER)


def test_rotation_reads_links_made_with_the_old_key_and_makes_new_ones_with_the_new() -> None:
    before = LinkTokens([OLD_KEY])
    after = LinkTokens([NEW_KEY, OLD_KEY])
    sent_before = before.make(LinkPurpose.OPEN, LATER, message_id="m_1")
    sent_after = after.make(LinkPurpose.OPEN, LATER, message_id="m_2")

    assert after.read(sent_before, LinkPurpose.OPEN, NOW).message_id == "m_1"
    assert LinkTokens([NEW_KEY]).read(sent_after, LinkPurpose.OPEN, NOW).message_id == "m_2"
    with pytest.raises(LinkTokenError):
        before.read(sent_after, LinkPurpose.OPEN, NOW)  # made with the new key only
    with pytest.raises(LinkTokenError):
        LinkTokens([NEW_KEY]).read(sent_before, LinkPurpose.OPEN, NOW)  # the old key dropped


@pytest.mark.parametrize("bad", ["", "not-a-token", "ü" * 10, "a.b", "x" * 5000])
def test_anything_else_is_refused(bad: str) -> None:
    with pytest.raises(LinkTokenError):
        LinkTokens([NEW_KEY]).read(bad, LinkPurpose.CLICK, NOW)


def test_an_altered_token_is_refused() -> None:
    tokens = LinkTokens([NEW_KEY])
    token = tokens.make(LinkPurpose.CLICK, LATER, message_id="m_1", url=TARGET)
    for position in (10, len(token) // 2, len(token) - 2):
        flipped = "A" if token[position] != "A" else "B"
        with pytest.raises(LinkTokenError):
            tokens.read(token[:position] + flipped + token[position + 1 :], LinkPurpose.CLICK, NOW)


def test_a_tracked_link_leads_only_to_http_and_short_keys_are_refused() -> None:
    with pytest.raises(LinkTokenError):
        LinkTokens([NEW_KEY]).make(LinkPurpose.CLICK, LATER, message_id="m", url="javascript:1")
    with pytest.raises(ValueError):
        LinkTokens(["short"])


def legacy(secret: str, domain: bytes, payload: dict[str, object]) -> str:
    """A link as the signed format before this one made it."""

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    body = b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return (
        f"{body}.{b64(hmac.new(secret.encode(), domain + body.encode(), hashlib.sha256).digest())}"
    )


def test_links_sent_in_the_signed_format_keep_working_until_they_expire() -> None:
    unsubscribe_secret, tracking_secret = "unsubscribe-0123456789", "tracking-0123456789"
    tokens = LinkTokens(
        [NEW_KEY],
        {
            LinkPurpose.UNSUBSCRIBE: unsubscribe_secret,
            LinkPurpose.CLICK: tracking_secret,
            LinkPurpose.OPEN: tracking_secret,
        },
    )
    unsubscribe = {"v": 1, "c": "c-1", "e": int(LATER.timestamp())}
    link = legacy(unsubscribe_secret, b"journeys.unsubscribe.v1.", unsubscribe)
    click = legacy(tracking_secret, b"journeys.tracking.v1.", {"m": "m_1", "k": "c", "u": TARGET})

    assert tokens.read(link, LinkPurpose.UNSUBSCRIBE, NOW).customer_id == "c-1"
    assert tokens.read(click, LinkPurpose.CLICK, NOW).url == TARGET
    with pytest.raises(ExpiredLinkError):
        tokens.read(link, LinkPurpose.UNSUBSCRIBE, LATER)
    with pytest.raises(LinkTokenError):
        tokens.read(
            legacy("forged-0123456789", b"journeys.unsubscribe.v1.", unsubscribe),
            LinkPurpose.UNSUBSCRIBE,
            NOW,
        )
    with pytest.raises(LinkTokenError):
        tokens.read(click, LinkPurpose.OPEN, NOW)
