"""A small time-to-live map; the clock is injected so tests can move time."""

from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class TTLCache(Generic[V]):
    def __init__(self, clock: Callable[[], float], max_entries: int = 50_000) -> None:
        self._clock = clock
        self._max_entries = max_entries
        self._entries: dict[str, tuple[float, V]] = {}

    def get(self, key: str) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires_at, value = entry
        if self._clock() >= expires_at:
            del self._entries[key]
            return None
        return value

    def put(self, key: str, value: V, ttl_seconds: float) -> None:
        self._entries.pop(key, None)
        self._entries[key] = (self._clock() + ttl_seconds, value)
        if len(self._entries) > self._max_entries:
            self._evict()

    def __len__(self) -> int:
        return len(self._entries)

    def _evict(self) -> None:
        now = self._clock()
        self._entries = {k: e for k, e in self._entries.items() if e[0] > now}
        # Still full of live entries: drop the oldest writes (dicts keep insertion order).
        while len(self._entries) > self._max_entries:
            del self._entries[next(iter(self._entries))]
