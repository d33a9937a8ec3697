"""Bearer keys with scopes, checked per route; every route but health checks and signed links.

A key's scopes (models.api_keys.Scope) say what it may do: `events:write` posts events,
`customers:read` and `customers:write` read and change profiles and what was sent, `ops` operates
journeys and decodes Temporal payloads. A missing or unknown key is a 401, a known key without
the route's scope a 403. Each route names its scope with `requires(...)` (tests/test_auth.py
checks that every authenticated route does).
"""

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from api.errors import ApiError
from models.api_keys import ApiKey, Scope
from settings import MissingSetting, Settings
from storage.dev_secrets import dev_secret

_bearer = HTTPBearer(auto_error=False, description="an API key from API_KEYS")
_BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
ALL_SCOPES = frozenset(Scope)


@dataclass(frozen=True)
class Principal:
    """Who called: the key's name (what the audit log records) and what it may do."""

    name: str
    scopes: frozenset[Scope]


def resolve_api_keys(settings: Settings) -> tuple[list[ApiKey], bool]:
    """The accepted keys, and whether they are a generated development key.

    A plain string in API_KEYS is an all-scopes key named `key-<position>`. With no key
    configured (development only), one is generated once and kept in `data_dir/dev-api-key` so
    that a restarted stack keeps accepting it.
    """
    if settings.api_keys:
        return [
            key
            if isinstance(key, ApiKey)
            else ApiKey(name=f"key-{position}", key=key, scopes=ALL_SCOPES)
            for position, key in enumerate(settings.api_keys, 1)
        ], False
    if settings.production:
        raise MissingSetting("API_KEYS")
    dev = dev_secret(settings.data_dir, "dev-api-key")
    return [ApiKey(name="dev", key=SecretStr(dev), scopes=ALL_SCOPES)], True


async def authenticate(request: Request, credentials: _BearerCredentials) -> Principal:
    """A dependency of every authenticated router; as a Security dependency it also puts the
    bearer scheme into the OpenAPI document."""
    if credentials is None:
        raise ApiError(
            401,
            "missing bearer API key",
            field="Authorization",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal_of(request, credentials.credentials)


def principal_of(request: Request, presented: str) -> Principal:
    """The key `presented` names, or a 401."""
    keys: list[ApiKey] = request.app.state.api_keys
    found = None
    for key in keys:  # every key compared, in constant time each
        if hmac.compare_digest(presented.encode(), key.key.get_secret_value().encode()):
            found = key
    if found is None:
        raise ApiError(
            401, "invalid API key", field="Authorization", headers={"WWW-Authenticate": "Bearer"}
        )
    return Principal(found.name, found.scopes)


def require_scope(principal: Principal, scope: Scope) -> Principal:
    if scope not in principal.scopes:
        raise ApiError(403, f"this API key lacks the scope {scope.value}", field="Authorization")
    return principal


AuthenticatedDep = Annotated[Principal, Depends(authenticate)]


def requires(scope: Scope) -> Callable[[Principal], Awaitable[Principal]]:
    """The dependency of a route that needs `scope`; it answers with the caller."""

    async def check(principal: AuthenticatedDep) -> Principal:
        if scope not in principal.scopes:
            raise ApiError(
                403, f"this API key lacks the scope {scope.value}", field="Authorization"
            )
        return principal

    check.scope = scope  # type: ignore[attr-defined]  # read by the route-scope test
    return check


# One dependency per scope, shared, so FastAPI resolves it once per request.
EVENTS_WRITE = Depends(requires(Scope.EVENTS_WRITE))
CUSTOMERS_READ = Depends(requires(Scope.CUSTOMERS_READ))
CUSTOMERS_WRITE = Depends(requires(Scope.CUSTOMERS_WRITE))
OPS = Depends(requires(Scope.OPS))
OperatorDep = Annotated[Principal, OPS]
