"""App push through Firebase Cloud Messaging's HTTP v1 API.

Auth: an OAuth2 access token for the service account (scope firebase.messaging), minted and
refreshed by `google-auth` from the account's JSON key (its `token_uri`); kept while valid, and
fetched again once when FCM answers 401.

Send: `POST {base_url}/v1/projects/<project>/messages:send` with
    {"message": {"token": "<registration token>",
                 "notification": {"title": ..., "body": ...},
                 "data": {"message_id": "<message id>", "url": "<tracked link>"},
                 "android": {"notification": {"tag": "<message id>"}},
                 "apns": {"headers": {"apns-collapse-id": "<message id>"}}}}
Success: 200 `{"name": "projects/<project>/messages/<id>"}` (the provider reference).

FCM takes no idempotency key; a repeated send shows as one notification instead, because the
Android `tag` and the iOS `apns-collapse-id` make the second replace the first on the device.
Hence `idempotent`: a timed-out send is sent again (the data's message_id lets the app drop it).

Errors (`error.details[].errorCode`, else `error.status`):
- UNREGISTERED (404): the app was uninstalled or the token expired: final, and the token is
  removed from the customer;
- QUOTA_EXCEEDED (429): retried after Retry-After, a minute when none is given (FCM asks for
  at least that); UNAVAILABLE (503), INTERNAL (500) and other 5xx: retried after Retry-After;
- 401 other than THIRD_PARTY_AUTH_ERROR: a new access token, once;
- INVALID_ARGUMENT, SENDER_ID_MISMATCH, THIRD_PARTY_AUTH_ERROR and other 4xx: final.
"""

import asyncio
from datetime import timedelta
from typing import Any

import google.auth.exceptions
import httpx
from google.auth.transport.requests import Request
from google.oauth2 import service_account

from channels.base import DeliveryError, OutgoingMessage
from channels.http import call, provider_client, reason_code, retry_after
from channels.settings import FcmSettings

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
_QUOTA_PAUSE = timedelta(minutes=1)


class FcmSender:
    idempotent = True

    def __init__(self, settings: FcmSettings, client: httpx.AsyncClient | None = None) -> None:
        info = settings.service_account()
        self._credentials = service_account.Credentials.from_service_account_info(
            info, scopes=[SCOPE]
        )
        project = settings.project_id or info.get("project_id")
        if not project:
            raise ValueError("no project_id in the settings or the service account key")
        self._url = f"{settings.base_url}/v1/projects/{project}/messages:send"
        self._client = client or provider_client(settings)
        self._token_lock = asyncio.Lock()
        self._timeout = settings.timeout_seconds

    async def send(self, message: OutgoingMessage) -> str:
        token = await self._access_token()
        response = await self._post(message, token)
        if response.status_code == 401 and _error_code(response) != "THIRD_PARTY_AUTH_ERROR":
            response = await self._post(message, await self._access_token(stale=token))
        if response.is_success:
            name = _json(response).get("name")
            return str(name)[:256] if name else message.message_id
        raise _refusal(response, message)

    async def _post(self, message: OutgoingMessage, token: str) -> httpx.Response:
        return await call(
            self._client,
            "POST",
            self._url,
            headers={"Authorization": f"Bearer {token}"},
            json={
                "message": {
                    "token": message.address,
                    "notification": {"title": message.title, "body": message.body},
                    "data": {"message_id": message.message_id, "url": message.cta_url},
                    "android": {"notification": {"tag": message.message_id}},
                    "apns": {"headers": {"apns-collapse-id": message.message_id[:64]}},
                }
            },
        )

    async def _access_token(self, stale: str | None = None) -> str:
        async with self._token_lock:
            credentials = self._credentials
            if not credentials.valid or credentials.token == stale:
                try:
                    # google-auth refreshes synchronously; a thread keeps the worker's loop free.
                    await asyncio.to_thread(credentials.refresh, self._token_request)
                except google.auth.exceptions.TransportError as err:
                    raise DeliveryError("provider_unreachable", final=False) from err
                except google.auth.exceptions.RefreshError as err:
                    # A refused key stops every push until fixed: the next channel goes.
                    retryable = bool(getattr(err, "retryable", False))
                    raise DeliveryError("fcm_token_refused", final=not retryable) from err
            return str(credentials.token)

    def _token_request(self, *args: Any, **kwargs: Any) -> Any:
        """google-auth's requests transport, with our timeout rather than its two minutes."""
        return Request()(*args, **{**kwargs, "timeout": self._timeout})


def _refusal(response: httpx.Response, message: OutgoingMessage) -> DeliveryError:
    code = _error_code(response)
    status = response.status_code
    if code == "UNREGISTERED":
        return DeliveryError("unregistered", final=True, dead_address=message.address)
    if code == "QUOTA_EXCEEDED" or status == 429:
        return DeliveryError(
            "rate_limited", final=False, retry_after=retry_after(response) or _QUOTA_PAUSE
        )
    if status >= 500:
        return DeliveryError(
            reason_code(code or f"http_{status}"), final=False, retry_after=retry_after(response)
        )
    return DeliveryError(reason_code(code or f"http_{status}"), final=True)


def _error_code(response: httpx.Response) -> str | None:
    error = _json(response).get("error")
    if not isinstance(error, dict):
        return None
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and detail.get("errorCode"):
            return str(detail["errorCode"])
    return str(error["status"]) if error.get("status") else None


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
