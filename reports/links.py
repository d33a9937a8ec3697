"""Short-lived signed links to the report page, for browsers (which cannot send a bearer header).

An authenticated call (`POST /v1/reports/links`, or `journeyctl reports link`) mints a token
that carries the report's query and an expiry; `GET /reports/{token}` needs nothing else. The
key never appears in a URL, and a leaked link stops working after its life (15 min by default).

Token format: `<payload>.<signature>`, unpadded URL-safe base64; the payload is compact JSON
`{"v": 1, "e": expiry (Unix seconds), "s": since, "u": until, "j": journey}` (absent keys: the
default), signed with HMAC-SHA256 over a domain prefix so no other signed token can pass as one.
"""

import base64
import binascii
import hashlib
import hmac
import json
from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from settings import Settings, configured_or_dev

_DOMAIN = b"journeys.report-link.v1."
_VERSION = 1
_MAX_TOKEN_CHARS = 1024


class ReportLinkError(ValueError):
    """The link cannot be honoured: malformed, not ours, or expired."""


class ReportQuery(BaseModel):
    """What a report shows: the period (None: the default one, ending now) and the journey."""

    model_config = ConfigDict(frozen=True)

    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
    journey: str | None = None


def make_report_token(query: ReportQuery, secret: str, expires_at: datetime) -> str:
    payload: dict[str, object] = {"v": _VERSION, "e": int(expires_at.timestamp())}
    for key, value in (("s", query.since), ("u", query.until), ("j", query.journey)):
        if value is not None:
            payload[key] = value.isoformat() if isinstance(value, datetime) else value
    body = _encode(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_encode(_sign(body, secret))}"


def verify_report_token(token: str, secret: str, now: datetime) -> ReportQuery:
    """The query of a token signed with `secret` and not expired at `now`."""
    parts = token.split(".") if len(token) <= _MAX_TOKEN_CHARS else []
    if len(parts) != 2:
        raise ReportLinkError("malformed report link")
    body, signature = parts
    if not hmac.compare_digest(_decode(signature), _sign(body, secret)):
        raise ReportLinkError("report link signature does not match")
    try:
        payload = json.loads(_decode(body))
        expires_at = datetime.fromtimestamp(payload["e"], UTC)
        query = ReportQuery(
            since=payload.get("s"), until=payload.get("u"), journey=payload.get("j")
        )
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, OSError) as err:
        raise ReportLinkError("report link payload is unreadable") from err
    if payload.get("v") != _VERSION:
        raise ReportLinkError("report link has an unknown version")
    if now >= expires_at:
        raise ReportLinkError(f"report link expired at {expires_at.isoformat()}")
    return query


def _sign(body: str, secret: str) -> bytes:
    return hmac.new(secret.encode(), _DOMAIN + body.encode(), hashlib.sha256).digest()


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as err:
        raise ReportLinkError("malformed report link") from err


def link_secret(settings: Settings) -> str:
    """The key that signs report links: REPORTS__LINK_SECRET, or a dev secret under data_dir."""
    return configured_or_dev(
        settings, settings.reports.link_secret, "REPORTS__LINK_SECRET", "dev-report-link-secret"
    )
