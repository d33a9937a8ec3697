"""Durations as operators type them on the command line: 30m, 4h, 1d12h, 2w."""

import re
from datetime import timedelta

_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """'90s', '30m', '4h', '1d12h', '2w' → timedelta."""
    compact = text.strip().replace(" ", "")
    parts = _PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30m, 4h, 1d12h)")
    return sum((timedelta(**{_UNITS[unit]: float(n)}) for n, unit in parts), timedelta())
