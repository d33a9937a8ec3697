"""App push straight to Apple Push Notification service, over HTTP/2 with a token-based key.

Auth: a JWT signed ES256 with the team's .p8 key, header `{"alg": "ES256", "kid": <key id>}`,
claims `{"iss": <team id>, "iat": <now>}`. Apple refuses one older than an hour and one renewed
more often than every 20 minutes, so it is kept 50 minutes, and made anew once when APNs answers
ExpiredProviderToken.

Send: `POST {base_url}/3/device/<device token>` over HTTP/2 (APNs speaks nothing else) with
`authorization: bearer <jwt>`, `apns-topic: <bundle id>`, `apns-push-type: alert`,
`apns-priority: 10`, `apns-id` (a UUID derived from the ledger's idempotency key) and
`apns-collapse-id: <message id>`, and the payload
    {"aps": {"alert": {"title": ..., "body": ...}}, "message_id": ..., "url": "<tracked link>"}
Success: 200 with the `apns-id` header (the provider reference).

APNs takes no idempotency key; a repeat carries the same `apns-collapse-id`, and the device
shows notifications with one collapse id as one. Hence `idempotent`, as for FCM.

Errors (`{"reason": ...}`):
- 410 Unregistered / ExpiredToken: the token is no longer valid for the app: final, and it is
  removed from the customer;
- 429 TooManyRequests (too many to one device) and TooManyProviderTokenUpdates, 500, 503:
  retried, after Retry-After when given;
- 403 ExpiredProviderToken / InvalidProviderToken: a new JWT, once; then final;
- other 4xx (BadDeviceToken — often a sandbox token sent to production, so the token is kept —,
  DeviceTokenNotForTopic, PayloadTooLarge...): final.
"""

import asyncio
import re
import time
import uuid
from urllib.parse import quote

import httpx
import jwt

from channels.base import DeliveryError, OutgoingMessage
from channels.http import call, provider_client, reason_code, retry_after
from channels.settings import ApnsSettings

TOKEN_LIFETIME_SECONDS = 50 * 60
_DEAD = frozenset({"Unregistered", "ExpiredToken"})
_PROVIDER_TOKEN = frozenset({"ExpiredProviderToken", "InvalidProviderToken"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


class ApnsSender:
    idempotent = True

    def __init__(self, settings: ApnsSettings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        # HTTP/2 only: over TLS by ALPN, and with prior knowledge on a plain-text URL.
        self._client = client or provider_client(settings, http1=False, http2=True)
        self._key = settings.signing_key()
        self._token: str | None = None
        self._issued = 0.0
        self._token_lock = asyncio.Lock()

    async def send(self, message: OutgoingMessage) -> str:
        token = await self._provider_token()
        response = await self._post(message, token)
        if response.status_code == 403 and _reason(response) in _PROVIDER_TOKEN:
            response = await self._post(message, await self._provider_token(stale=token))
        if response.is_success:
            return response.headers.get("apns-id") or message.message_id
        raise _refusal(response, message)

    async def _post(self, message: OutgoingMessage, token: str) -> httpx.Response:
        s = self.settings
        return await call(
            self._client,
            "POST",
            f"{s.base_url}/3/device/{quote(message.address, safe='')}",
            headers={
                "authorization": f"bearer {token}",
                "apns-topic": s.topic,
                "apns-push-type": "alert",
                "apns-priority": "10",
                "apns-id": str(uuid.uuid5(uuid.NAMESPACE_URL, message.idempotency_key)),
                "apns-collapse-id": message.message_id[:64],
            },
            json={
                "aps": {"alert": {"title": message.title, "body": message.body}},
                "message_id": message.message_id,
                "url": message.cta_url,
            },
        )

    async def _provider_token(self, stale: str | None = None) -> str:
        async with self._token_lock:
            age = time.monotonic() - self._issued
            if self._token is None or self._token == stale or age > TOKEN_LIFETIME_SECONDS:
                s = self.settings
                try:
                    self._token = jwt.encode(
                        {"iss": s.team_id, "iat": int(time.time())},
                        self._key,
                        algorithm="ES256",
                        headers={"kid": s.key_id},
                    )
                except (jwt.PyJWTError, ValueError, TypeError) as err:  # not an EC private key
                    raise DeliveryError("apns_key_unusable", final=True) from err
                self._issued = time.monotonic()
            return self._token


def _refusal(response: httpx.Response, message: OutgoingMessage) -> DeliveryError:
    reason = _reason(response)
    status = response.status_code
    if status == 410 or reason in _DEAD:
        return DeliveryError("unregistered", final=True, dead_address=message.address)
    named = _snake(reason) if reason else f"http_{status}"
    if status == 429 or status >= 500:
        return DeliveryError(named, final=False, retry_after=retry_after(response))
    return DeliveryError(named, final=True)


def _reason(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    reason = body.get("reason") if isinstance(body, dict) else None
    return str(reason) if reason else None


def _snake(reason: str) -> str:
    """BadDeviceToken → bad_device_token, for the ledger."""
    return reason_code(_CAMEL.sub("_", reason))
