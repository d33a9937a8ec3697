"""The content package's copy cache, in the database so every worker and every retry share it."""

from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import CopyResult
from models.tables import CopyCacheRow


class DatabaseCopyCache:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def get(self, version: str, context_hash: str) -> CopyResult | None:
        async with self._sessions() as session:
            row = await session.get(CopyCacheRow, (version, context_hash))
        return None if row is None else CopyResult.model_validate(row.result)

    async def put(self, version: str, context_hash: str, result: CopyResult) -> None:
        try:
            async with self._sessions.begin() as session:
                session.add(
                    CopyCacheRow(
                        version=version,
                        context_hash=context_hash,
                        result=result.model_dump(mode="json"),
                        created_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            pass  # another worker cached the same context first; theirs is as good
