"""AES-256-GCM under named keys, and keyed hashes for lookups.

Every ciphertext names the key that made it, so a key is rotated by adding a new one and making
it active: what the old one encrypted stays readable for as long as its id stays in the keyring.
The associated data binds a ciphertext to its purpose (one column, or Temporal payloads), so a
value cannot be moved from one place to another and still decrypt.
"""

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from encryption.settings import EncryptionSettings

NONCE_BYTES = 12
DEVELOPMENT_KEY_ID = "dev"
# Public on purpose: development data is encrypted like production data, so the same code runs,
# but under keys anyone can read. Production refuses to start with them (cli/preflight.py).
_DEVELOPMENT_KEY = hashlib.sha256(b"journeys development key: protects nothing").digest()
_DEVELOPMENT_LOOKUP = hashlib.sha256(b"journeys development lookup key").digest()
SEALED_PREFIX = "enc1:"
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class KeyringError(ValueError):
    """A key is missing, malformed, or does not open a ciphertext."""


@dataclass(frozen=True)
class Keyring:
    keys: Mapping[str, bytes]
    active: str
    lookup: bytes

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise KeyringError(f"the active key {self.active!r} is not among the keys")
        for key_id, key in self.keys.items():
            if not _KEY_ID.fullmatch(key_id):
                raise KeyringError(f"key id {key_id!r}: letters, digits, '.', '_' or '-' only")
            if len(key) != 32:
                raise KeyringError(f"key {key_id!r} must be 32 bytes (AES-256), not {len(key)}")
        if len(self.lookup) < 32:
            raise KeyringError("the lookup key must be at least 32 bytes")

    @classmethod
    def development(cls) -> "Keyring":
        return cls({DEVELOPMENT_KEY_ID: _DEVELOPMENT_KEY}, DEVELOPMENT_KEY_ID, _DEVELOPMENT_LOOKUP)

    @classmethod
    def from_settings(cls, settings: EncryptionSettings) -> "Keyring":
        """The configured keys, or the development keyring when none are configured."""
        if not settings.keys:
            return cls.development()
        keys = {
            key_id: _key_bytes(key_id, key.get_secret_value())
            for key_id, key in settings.keys.items()
        }
        if settings.active_key is None and len(keys) > 1:
            raise KeyringError("ENCRYPTION__ACTIVE_KEY must name one of several keys")
        active = settings.active_key or next(iter(keys))
        if settings.lookup_key is None:
            raise KeyringError("ENCRYPTION__LOOKUP_KEY is required with ENCRYPTION__KEYS")
        return cls(keys, active, _key_bytes("lookup", settings.lookup_key.get_secret_value()))

    @property
    def is_development(self) -> bool:
        return self.keys.get(DEVELOPMENT_KEY_ID) == _DEVELOPMENT_KEY

    def encrypt(self, plaintext: bytes, purpose: bytes) -> tuple[str, bytes]:
        """(key id, nonce + ciphertext) under the active key."""
        nonce = os.urandom(NONCE_BYTES)
        return self.active, nonce + AESGCM(self.keys[self.active]).encrypt(
            nonce, plaintext, purpose
        )

    def decrypt(self, key_id: str, sealed: bytes, purpose: bytes) -> bytes:
        key = self.keys.get(key_id)
        if key is None:
            raise KeyringError(f"no key {key_id!r} in the keyring (was it retired too early?)")
        try:
            return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], purpose)
        except InvalidTag as err:
            raise KeyringError(f"key {key_id!r} does not open this value") from err

    def seal_text(self, text: str, purpose: str) -> str:
        """`enc1:<key id>:<nonce + ciphertext, URL-safe base64>`: what an encrypted column holds."""
        key_id, sealed = self.encrypt(text.encode(), _purpose(purpose))
        return f"{SEALED_PREFIX}{key_id}:{base64.urlsafe_b64encode(sealed).decode()}"

    def open_text(self, stored: str, purpose: str) -> str:
        key_id, sealed = _split_sealed(stored)
        return self.decrypt(key_id, sealed, _purpose(purpose)).decode()

    def lookup_hash(self, normalised: str) -> str:
        """HMAC-SHA256 of a normalised contact detail, hex: equal inputs, equal hashes."""
        return hmac.new(self.lookup, normalised.encode(), hashlib.sha256).hexdigest()


def _split_sealed(stored: str) -> tuple[str, bytes]:
    prefix, _, rest = stored.partition(SEALED_PREFIX)
    key_id, _, body = rest.partition(":")
    if prefix or not key_id or not body:
        raise KeyringError("not an encrypted value (enc1:<key id>:<data>)")
    try:
        return key_id, base64.urlsafe_b64decode(body)
    except (binascii.Error, ValueError) as err:
        raise KeyringError("encrypted value is not base64") from err


def _purpose(purpose: str) -> bytes:
    return b"journeys.column.v1:" + purpose.encode()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def normalise_phone(phone: str) -> str:
    """Digits only, with the leading + kept: "+86 138-0013-8000" and "+8613800138000" match."""
    text = phone.strip()
    digits = re.sub(r"\D", "", text)
    return f"+{digits}" if text.startswith("+") else digits


def _key_bytes(name: str, text: str) -> bytes:
    padded = text.strip() + "=" * (-len(text.strip()) % 4)
    try:
        return base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError) as err:
        raise KeyringError(f"key {name!r} is not base64") from err
