"""One-click unsubscribe: signed expiring link tokens, RFC 8058 email headers, SMS opt-out text.

Token format: `<payload>.<signature>`, both unpadded URL-safe base64. The payload is compact JSON
`{"v": 1, "c": customer_id, "e": expiry (Unix seconds), "ch": channel or absent}`; the signature
is HMAC-SHA256 over a fixed domain prefix and the encoded payload, so a key shared with another
use cannot mint these. The payload is signed, not encrypted: put opaque customer ids in it, never
contact details.
"""

import base64
import binascii
import hashlib
import hmac
import json
import re
import unicodedata
from datetime import UTC, datetime
from urllib.parse import urlsplit

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from guardrails.localtime import require_aware
from models.channels import Channel

_DOMAIN = b"journeys.unsubscribe.v1."
_VERSION = 1
_MIN_SECRET_BYTES = 16
_MAX_TOKEN_CHARS = 1024
_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")


class UnsubscribeTokenError(ValueError):
    """The token cannot be honoured; the subclass says why."""


class MalformedTokenError(UnsubscribeTokenError):
    pass


class BadSignatureError(UnsubscribeTokenError):
    pass


class ExpiredTokenError(UnsubscribeTokenError):
    def __init__(self, expired_at: datetime) -> None:
        super().__init__(f"unsubscribe token expired at {expired_at.isoformat()}")
        self.expired_at = expired_at


class UnsubscribeClaim(BaseModel):
    """What a valid token asks for: stop `channel`, or every channel when it is None."""

    model_config = ConfigDict(frozen=True)

    customer_id: str = Field(min_length=1)
    channel: Channel | None
    expires_at: AwareDatetime


def make_unsubscribe_token(
    customer_id: str,
    secret: str | bytes,
    expires_at: datetime,
    channel: Channel | None = None,
) -> str:
    require_aware(expires_at)
    if not customer_id:
        raise ValueError("customer_id is empty")
    payload: dict[str, object] = {"v": _VERSION, "c": customer_id, "e": int(expires_at.timestamp())}
    if channel is not None:
        payload["ch"] = Channel(channel).value
    body = _b64encode(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_b64encode(_sign(body, secret))}"


def verify_unsubscribe_token(token: str, secret: str | bytes, now: datetime) -> UnsubscribeClaim:
    """The claim of a token signed with `secret` and not expired at `now`.

    Raises MalformedTokenError, BadSignatureError or ExpiredTokenError (all UnsubscribeTokenError,
    a ValueError). The signature is checked in constant time before the payload is parsed.
    """
    require_aware(now)
    parts = token.split(".") if len(token) <= _MAX_TOKEN_CHARS else []
    if len(parts) != 2:
        raise MalformedTokenError("unsubscribe token is not <payload>.<signature>")
    body, signature = parts
    payload_json, signature_bytes = _b64decode(body), _b64decode(signature)
    if not hmac.compare_digest(signature_bytes, _sign(body, secret)):
        raise BadSignatureError("unsubscribe token signature does not match")
    try:
        payload = json.loads(payload_json)
        claim = UnsubscribeClaim(
            customer_id=payload["c"],
            channel=payload.get("ch"),
            expires_at=datetime.fromtimestamp(payload["e"], UTC),
        )
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, OSError) as err:
        raise MalformedTokenError("unsubscribe token payload is unreadable") from err
    if payload.get("v") != _VERSION:
        raise MalformedTokenError("unsubscribe token has an unknown version")
    if now >= claim.expires_at:
        raise ExpiredTokenError(claim.expires_at)
    return claim


def list_unsubscribe_headers(url: str, mailto: str | None = None) -> dict[str, str]:
    """The RFC 8058 one-click headers for an email whose unsubscribe link is `url`.

    The link must be HTTPS (plain HTTP is accepted for loopback hosts, for local testing); the
    optional mailto address is listed after it for clients that only send mail.
    """
    parts = urlsplit(url)
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if not parts.netloc or not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        raise ValueError("the one-click unsubscribe link must be an absolute https URL")
    uris = [url]
    if mailto is not None:
        uris.append(mailto if mailto.startswith("mailto:") else f"mailto:{mailto}")
    for uri in uris:
        if any(ch in uri for ch in "<>,\r\n\t ") or not uri.isprintable():
            raise ValueError("an unsubscribe URI must not contain <, >, commas or whitespace")
    return {
        "List-Unsubscribe": ", ".join(f"<{uri}>" for uri in uris),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# Keys are lower-case BCP 47 tags; lookup falls back from the full tag to its language, then "en".
# The Chinese lines follow the carriers' customary "reply T to unsubscribe".
_SMS_OPT_OUT_LINES: dict[str, str] = {
    "en": "Reply STOP to opt out",
    "zh": "回T退订",
    "zh-cn": "回T退订",
    "zh-sg": "回T退订",
    "zh-hans": "回T退订",
    "zh-tw": "回T退訂",
    "zh-hk": "回T退訂",
    "zh-mo": "回T退訂",
    "zh-hant": "回T退訂",
}

# Replies that mean "stop": the CTIA keywords and the Chinese carriers' T / TD / R and 退订.
_SMS_OPT_OUT_REPLIES = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "T", "TD", "R", "退订", "退訂"}
)


def sms_opt_out_line(locale: str) -> str:
    """The opt-out line every SMS ends with, in the customer's locale (en-US, zh-CN, zh_TW...)."""
    tag = locale.strip().lower().replace("_", "-")
    while tag:
        if tag in _SMS_OPT_OUT_LINES:
            return _SMS_OPT_OUT_LINES[tag]
        tag = tag.rpartition("-")[0]
    return _SMS_OPT_OUT_LINES["en"]


def is_sms_opt_out_reply(text: str) -> bool:
    """Whether an inbound SMS is an opt-out request (full-width letters and case are ignored)."""
    word = unicodedata.normalize("NFKC", text).strip().strip(".!。！").upper()
    return word in _SMS_OPT_OUT_REPLIES


def _sign(body: str, secret: str | bytes) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    if len(key) < _MIN_SECRET_BYTES:
        raise ValueError(f"the unsubscribe secret must have at least {_MIN_SECRET_BYTES} bytes")
    return hmac.new(key, _DOMAIN + body.encode("ascii"), hashlib.sha256).digest()


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Strict: only the URL-safe alphabet, and only the canonical encoding of the bytes."""
    if not _B64URL.fullmatch(text):
        raise MalformedTokenError("unsubscribe token is not URL-safe base64")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as err:
        raise MalformedTokenError("unsubscribe token is not URL-safe base64") from err
    if _b64encode(raw) != text:
        raise MalformedTokenError("unsubscribe token is not canonical base64")
    return raw
