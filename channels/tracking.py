"""Signed tokens of tracked links (`/t/c/<token>`) and the email open pixel (`/t/o/<token>.gif`).

Token: `<payload>.<signature>`, unpadded URL-safe base64. The payload is compact JSON
`{"m": message_id, "k": "o" | "c", "u": target URL (clicks only)}`; the signature is
HMAC-SHA256 over a domain prefix and the encoded payload, so nobody without the secret can make
the API record an open or a click, or redirect to a URL of their choosing. Tokens do not expire:
a click on an old email still leads where it should. Only the opaque message id is inside.
"""

import base64
import binascii
import hashlib
import hmac
import json
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import BaseModel

_DOMAIN = b"journeys.tracking.v1."
_MAX_TOKEN_CHARS = 4096


class TrackingKind(StrEnum):
    OPEN = "o"
    CLICK = "c"


class TrackingClaim(BaseModel):
    message_id: str
    kind: TrackingKind
    url: str | None = None


class TrackingTokenError(ValueError):
    pass


def make_tracking_token(
    secret: str, message_id: str, kind: TrackingKind, url: str | None = None
) -> str:
    if (kind == TrackingKind.CLICK) != (url is not None):
        raise ValueError("a click token needs the target URL, an open token none")
    payload: dict[str, str] = {"m": message_id, "k": kind.value}
    if url is not None:
        _require_http_url(url)
        payload["u"] = url
    body = _b64encode(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_b64encode(_sign(secret, body))}"


def verify_tracking_token(secret: str, token: str) -> TrackingClaim:
    parts = token.split(".") if len(token) <= _MAX_TOKEN_CHARS else []
    if len(parts) != 2:
        raise TrackingTokenError("not a tracking token")
    body, signature = parts
    try:
        given = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        if not hmac.compare_digest(given, _sign(secret, body)):
            raise TrackingTokenError("tracking token signature does not match")
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        claim = TrackingClaim(message_id=payload["m"], kind=payload["k"], url=payload.get("u"))
    except (binascii.Error, ValueError, KeyError, TypeError) as err:
        if isinstance(err, TrackingTokenError):
            raise
        raise TrackingTokenError("tracking token is unreadable") from err
    if claim.kind == TrackingKind.CLICK:
        if claim.url is None:
            raise TrackingTokenError("click token without a target")
        _require_http_url(claim.url)
    return claim


def _require_http_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TrackingTokenError("a tracked link must lead to an absolute http(s) URL")


def _sign(secret: str, body: str) -> bytes:
    return hmac.new(secret.encode(), _DOMAIN + body.encode("ascii"), hashlib.sha256).digest()


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
