"""Which URLs an endpoint may have: https, or plain http to this machine in development."""

import ipaddress
from urllib.parse import urlsplit

_LOOPBACK_NAMES = {"localhost"}


def url_problem(url: str, allow_http_loopback: bool) -> str | None:
    """Why `url` cannot be an endpoint, or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # raises on a port out of range
    except ValueError:
        return "not a URL"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "must be an https:// URL with a host"
    if parts.username or parts.password:
        return "must not carry credentials; the signature authenticates us"
    if parts.scheme == "http" and not (allow_http_loopback and _loopback(parts.hostname)):
        return "must be https (plain http only to a loopback address in development)"
    return None


def _loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
