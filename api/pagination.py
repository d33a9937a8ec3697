"""Cursor pagination of the list routes: `?limit=` (1 to MAX_LIMIT, DEFAULT_LIMIT by default)
and `?cursor=` (the `next_cursor` of the page before, opaque); a page is
`{"items": [...], "next_cursor": "..." | null}`, null on the last page."""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from api.errors import ApiError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
Item = TypeVar("Item")

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")]
Cursor = Annotated[
    str | None,
    Query(max_length=2048, description="`next_cursor` of the previous page; absent: the first"),
]


class Page(BaseModel, Generic[Item]):
    items: list[Item]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null: this is the last page"
    )


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, *keys: str) -> dict[str, Any]:
    """The position a cursor holds, with `keys`; a 422 naming `cursor` for anything else."""
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as err:
        raise ApiError(422, "not a cursor of this list", field="cursor") from err
    if not isinstance(position, dict) or any(key not in position for key in keys):
        raise ApiError(422, "not a cursor of this list", field="cursor")
    return position


def page(
    rows: Sequence[Item], limit: int, position: Callable[[Item], dict[str, Any]]
) -> "Page[Item]":
    """The page of `rows`, fetched as `limit + 1` to learn whether another follows; the cursor
    holds the `position` of the last row shown."""
    items = list(rows[:limit])
    more = len(rows) > limit
    return Page(items=items, next_cursor=encode_cursor(position(items[-1])) if more else None)
