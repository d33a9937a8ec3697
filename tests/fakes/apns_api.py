"""Apple Push Notification service on loopback, over HTTP/2 only (Hypercorn, h2c).

`POST /3/device/<device token>` with `authorization: bearer <JWT>`: the token is checked with
PyJWT against the key's public half — ES256, the `kid` header, `iss` the team id, `iat` within
the hour (older: 403 ExpiredProviderToken; anything wrong: 403 InvalidProviderToken). Needs
`apns-topic` (the bundle id: 400 DeviceTokenNotForTopic otherwise); answers 200 with `apns-id`,
or `{"reason": ...}` with Apple's status codes. APNs speaks only HTTP/2 (over TLS in production):
a request over HTTP/1.1 gets 505 here; Hypercorn takes HTTP/2 with prior knowledge.

Behaviours, queued with `queue(...)`: "ok", "unregistered" (410), "bad_token" (400
BadDeviceToken), "too_many" (429 TooManyRequests), "unavailable" (503), "expire_jwt" (the JWT
in use is refused from now on as ExpiredProviderToken).
"""

import asyncio
import json
import socket
import threading
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypercorn.asyncio import serve
from hypercorn.config import Config

from tests.fakes.loopback import QueuedBehaviours

TEAM_ID = "TEAM123456"
KEY_ID = "KEY7654321"
TOPIC = "com.shop.app"
_ERRORS = {
    "unregistered": (410, "Unregistered"),
    "bad_token": (400, "BadDeviceToken"),
    "too_many": (429, "TooManyRequests"),
    "unavailable": (503, "ServiceUnavailable"),
}


class FakeApns(QueuedBehaviours):
    def __init__(self) -> None:
        super().__init__()
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._expired_jwts: set[str] = set()
        self.jwts_seen: list[str] = []
        self.requests: list[dict[str, Any]] = []  # path, http_version, headers, payload
        self.delivered: list[dict[str, Any]] = []
        listener = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        config = Config()
        config.bind = [f"fd://{listener.detach()}"]  # Hypercorn owns and closes it
        config.accesslog = None
        config.errorlog = None
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._thread = threading.Thread(
            target=self._loop.run_until_complete,
            args=(serve(self._app, config, shutdown_trigger=self._stop.wait),),
            daemon=True,
        )
        self._thread.start()

    def signing_key(self) -> str:
        """The .p8 file Apple hands out: the EC private key in PKCS#8 PEM."""
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    def delivered_to(self, device: str) -> list[dict[str, Any]]:
        with self._lock:
            return [d for d in self.delivered if d["device"] == device]

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=5)
        self._loop.close()

    def _provider_token_error(self, authorization: str) -> str | None:
        token = authorization.removeprefix("bearer ")
        with self._lock:
            self.jwts_seen.append(token)
            if token in self._expired_jwts:
                return "ExpiredProviderToken"
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=["ES256"],
                issuer=TEAM_ID,
                options={"require": ["iss", "iat"]},
            )
        except jwt.InvalidTokenError:
            return "InvalidProviderToken"
        if header.get("kid") != KEY_ID:
            return "InvalidProviderToken"
        if time.time() - int(claims["iat"]) > 3600:
            return "ExpiredProviderToken"
        return None

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        status, reply, extra = self._handle(scope, headers, body)
        response_headers = [(b"content-type", b"application/json")]
        response_headers += [(k.encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send(
            {"type": "http.response.body", "body": json.dumps(reply).encode() if reply else b""}
        )

    def _handle(
        self, scope: dict[str, Any], headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
        payload = json.loads(body or b"{}")
        with self._lock:
            self.requests.append(
                {
                    "path": scope["path"],
                    "http_version": scope["http_version"],
                    "headers": headers,
                    "payload": payload,
                }
            )
        path = scope["path"]
        if scope["http_version"] != "2":
            return 505, {"reason": "HTTP/2 required"}, {}
        if scope["method"] != "POST" or not path.startswith("/3/device/"):
            return 404, {"reason": "BadPath"}, {}
        problem = self._provider_token_error(headers.get("authorization", ""))
        if problem:
            return 403, {"reason": problem}, {}
        if headers.get("apns-topic") != TOPIC:
            return 400, {"reason": "DeviceTokenNotForTopic"}, {}
        apns_id = headers.get("apns-id") or str(uuid.uuid4()).upper()
        behaviour = self._next()
        if behaviour == "expire_jwt":
            with self._lock:
                self._expired_jwts.add(headers["authorization"].removeprefix("bearer "))
            return 403, {"reason": "ExpiredProviderToken"}, {"apns-id": apns_id}
        if behaviour in _ERRORS:
            status, reason = _ERRORS[behaviour]
            reply: dict[str, Any] = {"reason": reason}
            if status == 410:
                reply["timestamp"] = int(time.time() * 1000)
            return status, reply, {"apns-id": apns_id}
        with self._lock:
            self.delivered.append(
                {"device": path.removeprefix("/3/device/"), "headers": headers, "payload": payload}
            )
        return 200, None, {"apns-id": apns_id}
