"""Bearer-key authentication for every route but health checks."""

import hmac
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from settings import Settings
from storage.dev_secrets import dev_secret

_bearer = HTTPBearer(auto_error=False, description="an API key from API_KEYS")
_BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]


def resolve_api_keys(settings: Settings) -> tuple[list[str], bool]:
    """The accepted keys, and whether they are a generated development key.

    With no key configured, one is generated once and kept in `data_dir/dev-api-key` so that a
    restarted stack keeps accepting it.
    """
    if settings.api_keys:
        return [key.get_secret_value() for key in settings.api_keys], False
    return [dev_secret(settings.data_dir, "dev-api-key")], True


async def require_api_key(request: Request, credentials: _BearerCredentials) -> None:
    """A dependency of every authenticated router; as a Security dependency it also puts the
    bearer scheme into the OpenAPI document."""
    if credentials is None:
        raise ApiError(
            401,
            "missing bearer API key",
            field="Authorization",
            headers={"WWW-Authenticate": "Bearer"},
        )
    presented = credentials.credentials.encode()
    keys: list[str] = request.app.state.api_keys
    if not any(hmac.compare_digest(presented, key.encode()) for key in keys):
        raise ApiError(
            401, "invalid API key", field="Authorization", headers={"WWW-Authenticate": "Bearer"}
        )
