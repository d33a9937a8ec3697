"""Secrets a development stack generates for itself when none is configured.

Only in development: every process of a production deployment must be given the same secrets
(a link signed by one worker is checked by the API), so there a missing one is an error.
"""

import secrets
from pathlib import Path


def dev_secret(data_dir: Path, name: str) -> str:
    """A random secret kept in `data_dir/name`, created on first use (mode 0600)."""
    path = data_dir / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()
