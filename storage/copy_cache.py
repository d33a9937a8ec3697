"""Generated copy by (template version, context hash), in the database so every worker and every
retry share it (content.database_cache reads and writes it as the content package's cache)."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.tables import CopyCacheRow


async def cached_copy(
    sessions: async_sessionmaker[AsyncSession], version: str, context_hash: str
) -> dict[str, Any] | None:
    async with sessions() as session:
        row = await session.get(CopyCacheRow, (version, context_hash))
    return None if row is None else row.result


async def cache_copy(
    sessions: async_sessionmaker[AsyncSession],
    version: str,
    context_hash: str,
    result: dict[str, Any],
) -> None:
    try:
        async with sessions.begin() as session:
            session.add(
                CopyCacheRow(
                    version=version,
                    context_hash=context_hash,
                    result=result,
                    created_at=datetime.now(UTC),
                )
            )
    except IntegrityError:
        pass  # another worker cached the same context first; theirs is as good
