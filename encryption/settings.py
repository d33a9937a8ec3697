"""Keys of the encryption package (env vars `ENCRYPTION__*`); see docs/production.md.

`ENCRYPTION__KEYS='{"2026-12": "<32 random bytes, base64>"}'` with `ENCRYPTION__ACTIVE_KEY=2026-12`;
to rotate, add a key, make it the active one and keep the old ones for reading: Temporal
histories and rows written under an old key stay readable while its id is in `keys`.
"""

from pydantic import BaseModel, Field, SecretStr


class EncryptionSettings(BaseModel):
    keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="key id -> 32-byte AES key (standard or URL-safe base64); unset: the built-in "
        "development key, which protects nothing and is refused in production",
    )
    active_key: str | None = Field(
        None, description="the id of the key new data is encrypted with (default: the only key)"
    )
    lookup_key: SecretStr | None = Field(
        None,
        description="HMAC key of the keyed hashes that find a customer by email or phone "
        "(at least 32 bytes, base64); not rotated with the others: changing it needs "
        "`journeyctl customers rekey` to recompute the hashes",
    )
    payloads: bool | None = Field(
        None,
        description="encrypt every Temporal payload with the payload codec; unset: on when keys "
        "are configured (always in production), off with the development key so that the dev "
        "stack's Web UI shows payloads without a codec server",
    )
