"""The copy cache in the database (storage.copy_cache): shared by every worker and every retry."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content.copy_text import CopyResult
from storage.copy_cache import cache_copy, cached_copy


class DatabaseCopyCache:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def get(self, version: str, context_hash: str) -> CopyResult | None:
        stored = await cached_copy(self._sessions, version, context_hash)
        return None if stored is None else CopyResult.model_validate(stored)

    async def put(self, version: str, context_hash: str, result: CopyResult) -> None:
        await cache_copy(self._sessions, version, context_hash, result.model_dump(mode="json"))
