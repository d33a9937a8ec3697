"""How big, how deep and what characters the free-form data we accept may have.

Whatever the API accepts is stored, copied into Temporal histories and decoded again by the
worker (pydantic's JSON parser stops at about 200 levels) and by PostgreSQL (which refuses NUL
in text and lone UTF-16 surrogates in JSON). So the limits are checked where the data comes in,
with a 422 naming the field, and they are far inside what every later reader takes.
docs/bad-input.md lists them.
"""

import json
import re
from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints

# Any JSON request body, checked at the edge before it is parsed (api/limits.py).
MAX_BODY_DEPTH = 32
# A property bag (event properties, customer attributes): free-form JSON under one field.
MAX_BAG_DEPTH = 8
MAX_BAG_BYTES = 64 * 1024
MAX_KEY_CHARS = 128
MAX_TEXT_CHARS = 2000

# NUL and the other C0 controls but tab, newline and carriage return; lone surrogates.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def check_text(value: str) -> str:
    """Text any reader can store and show: no control characters, valid Unicode."""
    found = _FORBIDDEN.search(value)
    if found:
        raise ValueError(
            f"contains the character U+{ord(found.group()):04X} at {found.start()}: "
            "control characters and lone surrogates are not accepted"
        )
    return value


def check_bag(bag: dict[str, Any]) -> dict[str, Any]:
    """A property bag within the depth, size, key and text limits (raises ValueError)."""
    stack: list[tuple[Any, int, str]] = [(bag, 1, "")]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_BAG_DEPTH:
                raise ValueError(f"nested deeper than {MAX_BAG_DEPTH} levels at {path or 'top'}")
            for key, item in value.items():
                if len(key) > MAX_KEY_CHARS:
                    raise ValueError(f"key longer than {MAX_KEY_CHARS} characters at {path}")
                _text(key, path)
                stack.append((item, depth + 1, f"{path}.{key}" if path else key))
        elif isinstance(value, list):
            if depth > MAX_BAG_DEPTH:
                raise ValueError(f"nested deeper than {MAX_BAG_DEPTH} levels at {path}")
            stack.extend((item, depth + 1, f"{path}.{n}") for n, item in enumerate(value))
        elif isinstance(value, str):
            if len(value) > MAX_TEXT_CHARS:
                raise ValueError(f"text longer than {MAX_TEXT_CHARS} characters at {path}")
            _text(value, path)
    size = len(json.dumps(bag, ensure_ascii=False, default=str).encode())
    if size > MAX_BAG_BYTES:
        raise ValueError(f"larger than {MAX_BAG_BYTES} bytes as JSON ({size})")
    return bag


def _text(value: str, path: str) -> None:
    try:
        check_text(value)
    except ValueError as err:
        raise ValueError(f"{err} (at {path or 'top'})") from None


PropertyBag = Annotated[dict[str, Any], AfterValidator(check_bag)]


# Free text of at most N characters, checked by `check_text` (the length is checked on the
# string, so an optional field's error still says characters). Written out per length, as a type
# checker reads only names and subscripts in annotations.
Text40 = Annotated[str, StringConstraints(max_length=40), AfterValidator(check_text)]
Text64 = Annotated[str, StringConstraints(max_length=64), AfterValidator(check_text)]
Text100 = Annotated[str, StringConstraints(max_length=100), AfterValidator(check_text)]
Text128 = Annotated[str, StringConstraints(max_length=128), AfterValidator(check_text)]
Text200 = Annotated[str, StringConstraints(max_length=200), AfterValidator(check_text)]
Text256 = Annotated[str, StringConstraints(max_length=256), AfterValidator(check_text)]
Text512 = Annotated[str, StringConstraints(max_length=512), AfterValidator(check_text)]
