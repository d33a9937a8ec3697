"""API keys with scopes: who may call which route (api/auth.py checks them per route)."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class Scope(StrEnum):
    EVENTS_WRITE = "events:write"
    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"
    OPS = "ops"


class ApiKey(BaseModel):
    """One entry of API_KEYS: `{"name": "checkout", "key": "...", "scopes": ["events:write"]}`.

    The name is what the audit log records (never the key). A plain string in API_KEYS is an
    all-scopes key named `key-<position>`: the development form, refused in production.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:@-]+$")
    key: SecretStr = Field(description="production refuses keys under 16 characters")
    scopes: frozenset[Scope] = Field(min_length=1)
