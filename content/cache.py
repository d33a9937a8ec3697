"""Generated copy keyed by (template version, context hash), so a replayed or retried activity
sends the copy it generated the first time instead of asking the LLM again."""

from collections import OrderedDict
from typing import Protocol

from content.copy_text import CopyResult


class CopyCache(Protocol):
    async def get(self, version: str, context_hash: str) -> CopyResult | None: ...

    async def put(self, version: str, context_hash: str, result: CopyResult) -> None: ...


class InMemoryCopyCache:
    """Per-process cache, least recently used entries dropped beyond `max_entries`."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], CopyResult] = OrderedDict()

    async def get(self, version: str, context_hash: str) -> CopyResult | None:
        key = (version, context_hash)
        result = self._entries.get(key)
        if result is not None:
            self._entries.move_to_end(key)
        return result

    async def put(self, version: str, context_hash: str, result: CopyResult) -> None:
        self._entries[(version, context_hash)] = result
        self._entries.move_to_end((version, context_hash))
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
