"""Secrets a development stack generates for itself when none is configured."""

import secrets
from pathlib import Path

from settings import Settings


def dev_secret(data_dir: Path, name: str) -> str:
    """A random secret kept in `data_dir/name`, created on first use (mode 0600)."""
    path = data_dir / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def unsubscribe_secret(settings: Settings) -> str:
    """The key that signs unsubscribe links: GUARDRAILS__UNSUBSCRIBE_SECRET, or a dev one."""
    configured = settings.guardrails.unsubscribe_secret
    if configured is not None:
        return configured.get_secret_value()
    return dev_secret(settings.data_dir, "dev-unsubscribe-secret")


def identity_key(settings: Settings) -> str:
    """The key of the identifier hashes (storage/identity.py): PROFILE__IDENTITY_KEY, or a dev
    one."""
    configured = settings.profile.identity_key
    if configured is not None:
        return configured.get_secret_value()
    return dev_secret(settings.data_dir, "dev-identity-key")
