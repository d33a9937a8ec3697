"""Webhook signatures: only the holder of the secret can make them."""

from datetime import UTC, datetime, timedelta

import pytest

from channels.signing import SignatureError, signature_header, verify_signature

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
