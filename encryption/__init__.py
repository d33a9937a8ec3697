"""One key management for what we keep and what Temporal keeps: contact details encrypted at
rest, Temporal payloads encrypted by a codec, and keyed hashes to look contact details up."""

from encryption.keyring import Keyring, KeyringError, normalise_email, normalise_phone
from encryption.settings import EncryptionSettings

__all__ = ["EncryptionSettings", "Keyring", "KeyringError", "normalise_email", "normalise_phone"]
