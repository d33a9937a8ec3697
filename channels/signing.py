"""HMAC signatures of webhook bodies: receipts coming in, the generic provider's sends going out.

Header `X-Journeys-Signature: t=<unix seconds>,v1=<hex>` where the hex is
HMAC-SHA256(secret, "<t>." + raw body). The timestamp is signed with the body, so a captured
request cannot be replayed after the tolerance; a replay inside it is caught by the receipt id.
Several `v1=` entries may be given (one per secret while a secret is rotated); one must match.
"""

import hashlib
import hmac
from datetime import datetime

SIGNATURE_HEADER = "X-Journeys-Signature"


class SignatureError(ValueError):
    """The signature is missing, malformed, stale or does not match."""


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    return f"t={timestamp},v1={_digest(secret, body, timestamp)}"


def verify_signature(
    secret: str, body: bytes, header: str | None, now: datetime, tolerance_seconds: int
) -> None:
    if not header:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header")
    timestamp: int | None = None
    candidates = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError(f"{SIGNATURE_HEADER} must be t=<unix seconds>,v1=<hex>")
    if abs(now.timestamp() - timestamp) > tolerance_seconds:
        raise SignatureError("signature timestamp outside the tolerance")
    expected = _digest(secret, body, timestamp)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise SignatureError("signature does not match")


def _digest(secret: str, body: bytes, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
