"""Signed expiring unsubscribe tokens, RFC 8058 headers and the SMS opt-out text."""

import base64
import json
import secrets
from datetime import UTC, datetime, timedelta

import pytest

from guardrails import (
    BadSignatureError,
    ExpiredTokenError,
    MalformedTokenError,
    UnsubscribeClaim,
    is_sms_opt_out_reply,
    list_unsubscribe_headers,
    make_unsubscribe_token,
    sms_opt_out_line,
    verify_unsubscribe_token,
)
from guardrails.unsubscribe import _b64encode, _sign
from models.channels import Channel

SECRET = secrets.token_urlsafe(32)
NOW = datetime(2026, 6, 10, 12, tzinfo=UTC)
EXPIRES = NOW + timedelta(days=60)


def test_a_valid_token_round_trips_with_and_without_a_channel() -> None:
    every_channel = make_unsubscribe_token("cust-1", SECRET, EXPIRES)
    sms_only = make_unsubscribe_token("cust-1", SECRET, EXPIRES, Channel.SMS)

    assert verify_unsubscribe_token(every_channel, SECRET, NOW) == UnsubscribeClaim(
        customer_id="cust-1", channel=None, expires_at=EXPIRES
    )
    assert verify_unsubscribe_token(sms_only, SECRET.encode(), NOW).channel == Channel.SMS
    assert all(c.isalnum() or c in "-_." for c in every_channel)


def test_a_tampered_token_is_refused() -> None:
    token = make_unsubscribe_token("cust-1", SECRET, EXPIRES)
    body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["c"] = "cust-2"
    forged_body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]

    for bad in (f"{forged_body}.{signature}", f"{body}.{flipped}"):
        with pytest.raises(BadSignatureError):
            verify_unsubscribe_token(bad, SECRET, NOW)
    with pytest.raises(BadSignatureError):
        verify_unsubscribe_token(token, secrets.token_urlsafe(32), NOW)


def test_a_token_expires_at_its_expiry_instant() -> None:
    token = make_unsubscribe_token("cust-1", SECRET, EXPIRES)

    assert verify_unsubscribe_token(token, SECRET, EXPIRES - timedelta(seconds=1))
    with pytest.raises(ExpiredTokenError) as raised:
        verify_unsubscribe_token(token, SECRET, EXPIRES)
    assert raised.value.expired_at == EXPIRES


@pytest.mark.parametrize(
    "bad",
    ["", "no-dot", "a.b.c", "abc.d+f", "abc=.def", "YWJ.YWJ", "é.x", "a" * 2000 + ".b"],
)
def test_malformed_tokens_are_refused(bad: str) -> None:
    # "YWJ" decodes to "ab" as "YWI" does: only the canonical spelling is accepted.
    with pytest.raises(MalformedTokenError):
        verify_unsubscribe_token(bad, SECRET, NOW)


def test_a_short_signature_is_a_bad_signature() -> None:
    with pytest.raises(BadSignatureError):
        verify_unsubscribe_token("YWJj.YWJj", SECRET, NOW)


@pytest.mark.parametrize(
    "payload", [b'{"v":1,"c":"cust-1"}', b'{"v":2,"c":"cust-1","e":1900000000}', b"[1]", b"\xff"]
)
def test_a_signed_but_unreadable_payload_is_malformed(payload: bytes) -> None:
    body = _b64encode(payload)
    with pytest.raises(MalformedTokenError):
        verify_unsubscribe_token(f"{body}.{_b64encode(_sign(body, SECRET))}", SECRET, NOW)


def test_a_short_secret_or_naive_expiry_is_rejected() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        make_unsubscribe_token("cust-1", "short", EXPIRES)
    with pytest.raises(ValueError, match="aware"):
        make_unsubscribe_token("cust-1", SECRET, datetime(2026, 8, 1))


def test_rfc_8058_headers() -> None:
    url = "https://shop.example/v1/unsubscribe/abc.def"

    assert list_unsubscribe_headers(url) == {
        "List-Unsubscribe": "<https://shop.example/v1/unsubscribe/abc.def>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert list_unsubscribe_headers(url, "unsubscribe@shop.example")["List-Unsubscribe"] == (
        "<https://shop.example/v1/unsubscribe/abc.def>, <mailto:unsubscribe@shop.example>"
    )
    assert "List-Unsubscribe" in list_unsubscribe_headers("http://127.0.0.1:8000/u/abc")


@pytest.mark.parametrize(
    "url",
    [
        "http://shop.example/u/abc",
        "/u/abc",
        "https://shop.example/u/a>b",
        "https://shop.example/u/abc\r\nBcc: x@y.example",
    ],
)
def test_headers_refuse_plain_http_relative_and_injected_links(url: str) -> None:
    with pytest.raises(ValueError):
        list_unsubscribe_headers(url)


@pytest.mark.parametrize(
    ("locale", "line"),
    [
        ("en", "Reply STOP to opt out"),
        ("en-US", "Reply STOP to opt out"),
        ("zh-CN", "回T退订"),
        ("zh_CN", "回T退订"),
        ("zh-Hans-CN", "回T退订"),
        ("zh-TW", "回T退訂"),
        ("zh-Hant-HK", "回T退訂"),
        ("fr-FR", "Reply STOP to opt out"),
    ],
)
def test_sms_opt_out_line_per_locale(locale: str, line: str) -> None:
    assert sms_opt_out_line(locale) == line


def test_opt_out_replies() -> None:
    for reply in ("STOP", " stop ", "Ｔ", "td", "退订", "Unsubscribe."):
        assert is_sms_opt_out_reply(reply), reply
    for reply in ("thanks", "stop sending me shoes", "TT", ""):
        assert not is_sms_opt_out_reply(reply), reply
