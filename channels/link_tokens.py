"""The one token format of every link a recipient holds: tracked links, the open pixel and the
one-click unsubscribe link (`/t/c/<token>`, `/t/o/<token>.gif`, `/v1/unsubscribe/<token>`).

A token is a Fernet token (the `cryptography` package): the payload is encrypted with AES-128-CBC
and the result authenticated with HMAC-SHA256 (encrypt-then-MAC), so nobody without a key can
make one, alter one, or read one. Recipients forward emails and screenshots: a link must show
neither their customer id nor the message or event behind it. Encryption keeps the token
self-contained (the API verifies it without a lookup, and delivery writes nothing per link);
random ids mapped server-side would have cost a row per link, kept for as long as links live.

Payload: compact JSON `{"p": purpose, "m": message id, "c": customer id, "u": target URL,
"s": a recommended product (its pick's click),
"e": expiry (Unix seconds)}`, only the fields the purpose needs. Every token expires: an
unsubscribe link after `GUARDRAILS__UNSUBSCRIBE_TOKEN_DAYS` (60), a tracked link after
`CHANNELS__TRACKING_LINK_DAYS` (400).

Keys: `CHANNELS__LINK_SECRETS`, a list of secrets, newest first (else the tracking secret). A
token is made with the newest and read with any (`MultiFernet`), so a new key goes first and an
old one is dropped once the links made with it have expired. Each secret becomes a Fernet key
through HKDF-SHA256, so any long random string will do.

Links sent before this format (signed, readable `<payload>.<signature>`) are still honoured
until they expire: unsubscribe links for 60 days after the upgrade, tracked links until
`LEGACY_ACCEPTED_UNTIL`; nothing makes them any more.
"""

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel

MIN_SECRET_BYTES = 16
MAX_TOKEN_CHARS = 4096
_HKDF_INFO = b"journeys.link-tokens.v1"
# Tracked links of the signed format never expired; they are honoured until this date.
LEGACY_ACCEPTED_UNTIL = datetime(2027, 12, 31, tzinfo=UTC)


class LinkPurpose(StrEnum):
    OPEN = "o"
    CLICK = "c"
    UNSUBSCRIBE = "u"


class LinkClaim(BaseModel):
    """What a valid token asks for."""

    purpose: LinkPurpose
    expires_at: datetime
    message_id: str | None = None  # opens and clicks
    url: str | None = None  # clicks: where to send the customer
    customer_id: str | None = None  # unsubscribe: every channel of this customer
    product_id: str | None = None  # a click on a recommended product: the pick's outcome


class LinkTokenError(ValueError):
    """Not a token of ours, altered, or for another purpose."""


class ExpiredLinkError(LinkTokenError):
    def __init__(self, expired_at: datetime) -> None:
        super().__init__(f"the link expired at {expired_at.isoformat()}")
        self.expired_at = expired_at


class LinkTokens:
    def __init__(self, secrets: Sequence[str], legacy: dict[LinkPurpose, str] | None = None):
        """`secrets`: newest first. `legacy`: the key each purpose's old signed format used."""
        if not secrets:
            raise ValueError("link tokens need at least one secret")
        self._fernet = MultiFernet([Fernet(_fernet_key(secret)) for secret in secrets])
        self._legacy = legacy or {}

    def make(
        self,
        purpose: LinkPurpose,
        expires_at: datetime,
        *,
        message_id: str | None = None,
        url: str | None = None,
        customer_id: str | None = None,
        product_id: str | None = None,
    ) -> str:
        claim = LinkClaim(
            purpose=purpose,
            expires_at=expires_at,
            message_id=message_id,
            url=url,
            customer_id=customer_id,
            product_id=product_id,
        )
        _check(claim)
        payload = {"p": purpose.value, "e": int(expires_at.timestamp())}
        fields = (("m", message_id), ("u", url), ("c", customer_id), ("s", product_id))
        for key, value in fields:
            if value is not None:
                payload[key] = value
        raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        return self._fernet.encrypt(raw).decode("ascii").rstrip("=")

    def read(self, token: str, purpose: LinkPurpose, now: datetime) -> LinkClaim:
        """The claim of a token for `purpose` that has not expired at `now`.

        Raises ExpiredLinkError, or LinkTokenError for anything else that is wrong."""
        if len(token) > MAX_TOKEN_CHARS or not token.isascii():
            raise LinkTokenError("not a link token")
        if "." in token:  # the signed format that came before (see the module's docstring)
            claim = self._legacy_claim(token, purpose, now)
        else:
            claim = self._claim(token)
        if claim.purpose != purpose:
            raise LinkTokenError("a link token for something else")
        _check(claim)
        if now >= claim.expires_at:
            raise ExpiredLinkError(claim.expires_at)
        return claim

    def _claim(self, token: str) -> LinkClaim:
        try:
            raw = self._fernet.decrypt(token + "=" * (-len(token) % 4))
            payload = json.loads(raw)
            return LinkClaim(
                purpose=payload["p"],
                expires_at=datetime.fromtimestamp(payload["e"], UTC),
                message_id=payload.get("m"),
                url=payload.get("u"),
                customer_id=payload.get("c"),
                product_id=payload.get("s"),
            )
        except (InvalidToken, ValueError, KeyError, TypeError, OverflowError, OSError) as err:
            raise LinkTokenError("not a valid link token") from err

    def _legacy_claim(self, token: str, purpose: LinkPurpose, now: datetime) -> LinkClaim:
        secret = self._legacy.get(purpose)
        domain = _LEGACY_DOMAINS[purpose]
        body, _, signature = token.partition(".")
        try:
            if secret is None:
                raise LinkTokenError("not a link token")
            expected = hmac.new(secret.encode(), domain + body.encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(_b64decode(signature), expected):
                raise LinkTokenError("link token signature does not match")
            payload = json.loads(_b64decode(body))
            if purpose == LinkPurpose.UNSUBSCRIBE:
                return LinkClaim(
                    purpose=purpose,
                    customer_id=payload["c"],
                    expires_at=datetime.fromtimestamp(payload["e"], UTC),
                )
            return LinkClaim(
                purpose=LinkPurpose(payload["k"]),
                message_id=payload["m"],
                url=payload.get("u"),
                expires_at=LEGACY_ACCEPTED_UNTIL,
            )
        except LinkTokenError:
            raise
        except (binascii.Error, ValueError, KeyError, TypeError, OverflowError, OSError) as err:
            raise LinkTokenError("not a valid link token") from err


_LEGACY_DOMAINS = {
    LinkPurpose.OPEN: b"journeys.tracking.v1.",
    LinkPurpose.CLICK: b"journeys.tracking.v1.",
    LinkPurpose.UNSUBSCRIBE: b"journeys.unsubscribe.v1.",
}


def _check(claim: LinkClaim) -> None:
    """Each purpose carries what it needs: a message (and for a click an http(s) target), or a
    customer."""
    if claim.expires_at.tzinfo is None:
        raise ValueError("a link's expiry must be an aware datetime")
    if claim.purpose == LinkPurpose.UNSUBSCRIBE:
        if not claim.customer_id:
            raise LinkTokenError("an unsubscribe link names a customer")
        return
    if not claim.message_id:
        raise LinkTokenError("a tracked link names a message")
    if (claim.purpose == LinkPurpose.CLICK) != (claim.url is not None):
        raise LinkTokenError("a click link needs its target, an open pixel none")
    if claim.url is not None:
        parts = urlsplit(claim.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise LinkTokenError("a tracked link must lead to an absolute http(s) URL")


def _fernet_key(secret: str) -> bytes:
    raw = secret.encode()
    if len(raw) < MIN_SECRET_BYTES:
        raise ValueError(f"a link secret must have at least {MIN_SECRET_BYTES} bytes")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(raw)
    return base64.urlsafe_b64encode(derived)


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
