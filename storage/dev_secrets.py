"""Secrets a development stack generates for itself when none is configured.

Only in development: every process of a production deployment must be given the same secrets
(a link signed by one worker is checked by the API), so there a missing one is an error.
"""

import secrets
from pathlib import Path

from pydantic import SecretStr

from settings import MissingSetting, Settings


def dev_secret(data_dir: Path, name: str) -> str:
    """A random secret kept in `data_dir/name`, created on first use (mode 0600)."""
    path = data_dir / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def configured_or_dev(
    settings: Settings, configured: SecretStr | None, variable: str, dev_file: str
) -> str:
    """The configured secret; in development a generated one kept in `data_dir/dev_file`."""
    if configured is not None:
        return configured.get_secret_value()
    if settings.production:
        raise MissingSetting(variable)
    return dev_secret(settings.data_dir, dev_file)


def unsubscribe_secret(settings: Settings) -> str:
    """The key that signs unsubscribe links: GUARDRAILS__UNSUBSCRIBE_SECRET, or a dev one."""
    return configured_or_dev(
        settings,
        settings.guardrails.unsubscribe_secret,
        "GUARDRAILS__UNSUBSCRIBE_SECRET",
        "dev-unsubscribe-secret",
    )
