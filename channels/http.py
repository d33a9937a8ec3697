"""What every HTTP provider shares: the client, and one reading of errors.

- The request never reached the provider (connection refused or timed out, no pooled
  connection): certainly not delivered, retried (`DeliveryError`, not final).
- 429, 408, 409 (the same idempotency key still in flight), 425 and 5xx: retried, no sooner than
  the response's Retry-After. With the idempotency key a retry cannot deliver twice.
- Other 4xx: final for this channel (invalid address, blocked number, unknown token, refused
  credentials): the message moves to the next allowed channel. The reason is the provider's
  error code when it gives one.
- A timeout or disconnect after the request went out leaves the outcome unknown: the exception
  propagates and the retry resends under the same key.
"""

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from channels.base import DeliveryError, OutcomeUnknown, OutgoingMessage
from channels.settings import HttpProviderSettings, ProviderSettings

IDEMPOTENCY_HEADER = "Idempotency-Key"
_RETRYABLE = frozenset({408, 409, 425, 429})
_MAX_RETRY_AFTER = timedelta(hours=1)
_CODE = re.compile(r"[^a-z0-9_]+")


def provider_client(settings: ProviderSettings, **options: Any) -> httpx.AsyncClient:
    """The client of one provider: its timeouts, one connection pool for all its sends."""
    timeout = httpx.Timeout(settings.timeout_seconds, connect=settings.connect_timeout_seconds)
    return httpx.AsyncClient(timeout=timeout, **options)


async def call(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request; a request that never reached the provider is certainly not delivered."""
    try:
        return await client.request(method, url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as err:
        raise DeliveryError("provider_unreachable", final=False) from err


class HttpSender:
    """Base of the gateway protocols: one POST per message, carrying the ledger's key."""

    idempotent = True

    def __init__(self, settings: HttpProviderSettings, client: httpx.AsyncClient | None = None):
        self.settings = settings
        self._client = client or provider_client(settings)

    def url(self, path: str) -> str:
        return f"{self.settings.base_url}{path}"

    def headers(self, message: OutgoingMessage) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.settings.api_key.get_secret_value()}",
            IDEMPOTENCY_HEADER: message.idempotency_key,
        }

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return await call(self._client, method, url, **kwargs)


def refusal(response: httpx.Response, reason: str | None = None) -> DeliveryError:
    """The DeliveryError an unsuccessful response means (see the module docstring)."""
    status = response.status_code
    if status in _RETRYABLE or status >= 500:
        return DeliveryError(
            "rate_limited" if status == 429 else f"http_{status}",
            final=False,
            retry_after=retry_after(response),
        )
    return DeliveryError(reason or error_code(response) or f"http_{status}", final=True)


def unkeyed_refusal(response: httpx.Response, reason: str | None = None) -> Exception:
    """The same reading for a provider that takes no idempotency key: there only 429 and 503
    say for certain the message was not taken. Any other 5xx may come after the provider queued
    it, so the outcome is unknown (`OutcomeUnknown`) and the message is not sent again."""
    status = response.status_code
    if status >= 500 and status != 503:
        return OutcomeUnknown(f"provider answered {status}")
    return refusal(response, reason)


def error_code(response: httpx.Response) -> str | None:
    """The provider's error code from `{"error": {"code": ...}}` or `{"error": "..."}`."""
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        error = error.get("code")
    return reason_code(str(error)) if error else None


def reason_code(text: str) -> str:
    """A ledger reason from a provider's code: lower snake case, at most 48 characters."""
    return _CODE.sub("_", text.lower()).strip("_")[:48] or "unknown"


def reference(response: httpx.Response, field: str, fallback: str) -> str:
    """The provider's id for the accepted message, or `fallback` when the body has none."""
    try:
        body = response.json()
    except ValueError:
        return fallback
    value = body.get(field) if isinstance(body, dict) else None
    return str(value)[:256] if value not in (None, "") else fallback


def retry_after(response: httpx.Response) -> timedelta | None:
    """Retry-After as seconds or an HTTP date, capped at an hour; None when absent or unreadable."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        delay = timedelta(seconds=int(value))
    else:
        try:
            delay = parsedate_to_datetime(value) - datetime.now(UTC)
        except (TypeError, ValueError):
            return None
    return max(timedelta(0), min(delay, _MAX_RETRY_AFTER))
