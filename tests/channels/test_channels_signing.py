"""Webhook signatures and tracking tokens: only the holder of the secret can make them."""

from datetime import UTC, datetime, timedelta

import pytest

from channels.signing import SignatureError, signature_header, verify_signature
from channels.tracking import (
    TrackingKind,
    TrackingTokenError,
    make_tracking_token,
    verify_tracking_token,
)

SECRET = "a-secret-of-some-length"
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
BODY = b'{"receipt_id": "r-1", "type": "delivered"}'


def test_a_signed_body_verifies_within_the_tolerance() -> None:
    header = signature_header(SECRET, BODY, int(NOW.timestamp()))
    verify_signature(SECRET, BODY, header, NOW + timedelta(seconds=299), 300)


@pytest.mark.parametrize(
    "header, body, at",
    [
        (None, BODY, NOW),
        ("garbage", BODY, NOW),
        ("t=abc,v1=00", BODY, NOW),
        (signature_header("another-secret-entirely", BODY, int(NOW.timestamp())), BODY, NOW),
        (signature_header(SECRET, BODY, int(NOW.timestamp())), BODY + b" ", NOW),
        (signature_header(SECRET, BODY, int(NOW.timestamp())), BODY, NOW + timedelta(minutes=6)),
    ],
    ids=["missing", "malformed", "bad-timestamp", "other-secret", "body-changed", "stale"],
)
def test_anything_else_is_refused(header: str | None, body: bytes, at: datetime) -> None:
    with pytest.raises(SignatureError):
        verify_signature(SECRET, body, header, at, 300)


def test_one_matching_signature_among_several_is_enough_for_rotation() -> None:
    t = int(NOW.timestamp())
    old = signature_header("the-old-secret-value", BODY, t).split(",")[1]
    header = f"{signature_header(SECRET, BODY, t)},{old}"
    verify_signature(SECRET, BODY, header, NOW, 300)
    verify_signature("the-old-secret-value", BODY, header, NOW, 300)


def test_tracking_tokens_round_trip() -> None:
    click = make_tracking_token(SECRET, "m_1", TrackingKind.CLICK, "https://shop.example.com/c")
    claim = verify_tracking_token(SECRET, click)
    assert (claim.message_id, claim.kind, claim.url) == ("m_1", "c", "https://shop.example.com/c")
    opened = verify_tracking_token(SECRET, make_tracking_token(SECRET, "m_1", TrackingKind.OPEN))
    assert (opened.kind, opened.url) == ("o", None)


def test_forged_or_altered_tracking_tokens_are_refused() -> None:
    token = make_tracking_token(SECRET, "m_1", TrackingKind.CLICK, "https://shop.example.com/")
    body, signature = token.split(".")
    forged = make_tracking_token(
        "not-the-secret-at-all", "m_1", TrackingKind.CLICK, "https://evil.example/"
    )
    for bad in (
        forged,
        f"{forged.split('.')[0]}.{signature}",  # another target under the real signature
        body,
        f"{body}.{signature}x",
        "ü.ü",
        "",
    ):
        with pytest.raises(TrackingTokenError):
            verify_tracking_token(SECRET, bad)


def test_a_tracked_link_only_leads_to_http_urls() -> None:
    with pytest.raises(ValueError):
        make_tracking_token(SECRET, "m_1", TrackingKind.CLICK, "javascript:alert(1)")
