"""Firebase Cloud Messaging HTTP v1 and Google's OAuth2 token endpoint, on loopback.

- `POST /token`: the service-account grant (RFC 7523): `grant_type=urn:ietf:params:oauth:
  grant-type:jwt-bearer&assertion=<JWT>`. The assertion must be RS256-signed by the service
  account's key (checked with PyJWT against its public key), issued by its client_email, for
  Google's token endpoint, with the firebase.messaging scope; the answer is a one-hour token.
- `POST /v1/projects/<project>/messages:send`: needs a token issued here and not revoked;
  answers `{"name": "projects/<project>/messages/<n>"}` or FCM's error shape,
  `{"error": {"code", "message", "status", "details": [{"@type": ...FcmError, "errorCode"}]}}`.

Behaviours, queued with `queue(...)`: "ok", "unregistered" (404), "invalid_argument" (400),
"quota" (429, Retry-After `retry_after`), "unavailable" (503), "internal" (500), "revoke" (every
token issued so far stops working: a 401, as when Google rotates them).
"""

import json
import time
from typing import Any
from urllib.parse import parse_qsl

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.loopback import JsonHandler, LoopbackServer, QueuedBehaviours

PROJECT = "shop-app"
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
CLIENT_EMAIL = f"push@{PROJECT}.iam.gserviceaccount.com"
# The audience of the assertion is Google's token endpoint, wherever the key's token_uri points.
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
_ERRORS = {
    "unregistered": (404, "NOT_FOUND", "UNREGISTERED"),
    "invalid_argument": (400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"),
    "quota": (429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"),
    "unavailable": (503, "UNAVAILABLE", "UNAVAILABLE"),
    "internal": (500, "INTERNAL", "INTERNAL"),
}


class FakeFcm(QueuedBehaviours):
    def __init__(self) -> None:
        super().__init__()
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.tokens: set[str] = set()  # valid access tokens
        self.token_requests = 0
        self.sent: list[dict[str, Any]] = []  # the `message` of every accepted send
        self.retry_after = 3
        self._loopback = LoopbackServer(self, _Handler)
        self.base_url = self._loopback.base_url

    def service_account(self) -> dict[str, str]:
        """The JSON key Firebase's console hands out, pointing at this token endpoint."""
        pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return {
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": "key-1",
            "private_key": pem,
            "client_email": CLIENT_EMAIL,
            "client_id": "1234567890",
            "token_uri": f"{self.base_url}/token",
        }

    def sent_to(self, token: str) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.sent if m.get("token") == token]

    def close(self) -> None:
        self._loopback.close()


class _Handler(JsonHandler):
    protocol_version = "HTTP/1.1"

    @property
    def fake(self) -> FakeFcm:
        return self.server.fake

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/token":
            return self._token(dict(parse_qsl(raw.decode())))
        if self.path != f"/v1/projects/{PROJECT}/messages:send":
            return self._error(404, "NOT_FOUND", None, "no such route")
        bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
        with self.fake._lock:
            known = bearer in self.fake.tokens
        if not known:
            return self._error(401, "UNAUTHENTICATED", None, "invalid authentication credentials")
        message = json.loads(raw).get("message")
        if not isinstance(message, dict) or not message.get("token"):
            return self._error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "no token")
        behaviour = self.fake._next()
        if behaviour == "revoke":
            with self.fake._lock:
                self.fake.tokens.clear()
            return self._error(401, "UNAUTHENTICATED", None, "invalid authentication credentials")
        if behaviour in _ERRORS:
            code, status, error_code = _ERRORS[behaviour]
            extra = {"Retry-After": str(self.fake.retry_after)} if code == 429 else None
            return self._error(code, status, error_code, behaviour, extra)
        with self.fake._lock:
            self.fake.sent.append(message)
            number = len(self.fake.sent)
        self.send_json(200, {"name": f"projects/{PROJECT}/messages/0:{number}"})

    def _token(self, form: dict[str, str]) -> None:
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self.send_json(400, {"error": "unsupported_grant_type"})
        try:
            claims = jwt.decode(
                form.get("assertion", ""),
                self.fake._key.public_key(),
                algorithms=["RS256"],
                audience=GOOGLE_TOKEN_AUDIENCE,
                issuer=CLIENT_EMAIL,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.InvalidTokenError as err:
            return self.send_json(400, {"error": "invalid_grant", "error_description": str(err)})
        if SCOPE not in str(claims.get("scope", "")).split():
            return self.send_json(400, {"error": "invalid_scope"})
        with self.fake._lock:
            self.fake.token_requests += 1
            token = f"ya29.fake-{self.fake.token_requests}-{int(time.time())}"
            self.fake.tokens.add(token)
        self.send_json(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def _error(
        self,
        code: int,
        status: str,
        error_code: str | None,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        error: dict[str, Any] = {"code": code, "message": message, "status": status}
        if error_code:
            error["details"] = [
                {
                    "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                    "errorCode": error_code,
                }
            ]
        self.send_json(code, {"error": error}, headers)
