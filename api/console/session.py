"""Signing in to the console: an API key, typed once into the login form, becomes a signed
session cookie; the key itself is never stored in the browser nor put into a URL.

The cookie holds the key's name, a fingerprint of the key (a rotated or removed key ends its
sessions), the expiry and a CSRF token, signed with HMAC-SHA256. It is HttpOnly (no script
reads it), SameSite=Strict (no other site's page sends it) and limited to /console. Every POST
carries the CSRF token too, in a form field or the X-CSRF-Token header htmx adds, and must match
the session's: a forged form from elsewhere has neither the cookie nor the token.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from fastapi import Request

from api.auth import Principal
from models.api_keys import ApiKey, Scope
from settings import Settings, configured_or_dev

COOKIE = "console_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
PATH = "/console"


class LoginRequired(Exception):
    """No valid session: the page answers with the login form."""


class ConsoleError(Exception):
    """Bad input or a refused action on a console page: a 4xx naming the field and reason."""

    def __init__(self, status: int, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.field = field


@dataclass(frozen=True)
class Session:
    principal: Principal
    csrf: str
    expires_at: float


def session_secret(settings: Settings) -> bytes:
    return configured_or_dev(
        settings,
        settings.console_session_secret,
        "CONSOLE_SESSION_SECRET",
        "dev-console-session-secret",
    ).encode()


def _fingerprint(key: ApiKey) -> str:
    return hashlib.sha256(key.key.get_secret_value().encode()).hexdigest()[:16]


def _sign(body: bytes, secret: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()


def find_key(keys: list[ApiKey], presented: str) -> ApiKey | None:
    found = None
    for key in keys:  # every key compared, in constant time each (as api/auth.py)
        if hmac.compare_digest(presented.encode(), key.key.get_secret_value().encode()):
            found = key
    return found


def make_cookie(key: ApiKey, secret: bytes, lifetime_seconds: float) -> tuple[str, str]:
    """The cookie's value and its CSRF token."""
    csrf = secrets.token_urlsafe(24)
    body = json.dumps(
        {"n": key.name, "f": _fingerprint(key), "e": time.time() + lifetime_seconds, "c": csrf},
        separators=(",", ":"),
    ).encode()
    return f"{base64.urlsafe_b64encode(body).decode()}.{_sign(body, secret)}", csrf


def read_cookie(value: str, keys: list[ApiKey], secret: bytes) -> Session | None:
    """The session the cookie stands for, or None when forged, expired or its key is gone."""
    try:
        encoded, signature = value.split(".", 1)
        body = base64.urlsafe_b64decode(encoded.encode())
    except ValueError:
        return None
    if not hmac.compare_digest(signature, _sign(body, secret)):
        return None
    claims = json.loads(body)
    if claims["e"] < time.time():
        return None
    for key in keys:
        if key.name == claims["n"] and hmac.compare_digest(_fingerprint(key), claims["f"]):
            return Session(Principal(key.name, key.scopes), claims["c"], claims["e"])
    return None


async def current_session(request: Request) -> Session:
    """A dependency of every console page but the login form."""
    value = request.cookies.get(COOKIE)
    session = None
    if value:
        session = read_cookie(
            value, request.app.state.api_keys, session_secret(request.app.state.settings)
        )
    if session is None:
        raise LoginRequired()
    return session


def require(session: Session, scope: Scope) -> Principal:
    if scope not in session.principal.scopes:
        raise ConsoleError(403, f"this API key lacks the scope {scope.value}", "scope")
    return session.principal


def check_csrf(session: Session, submitted: str | None) -> None:
    if not submitted or not hmac.compare_digest(submitted, session.csrf):
        raise ConsoleError(403, "missing or wrong CSRF token; reload the page", CSRF_FIELD)
