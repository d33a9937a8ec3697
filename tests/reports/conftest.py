from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.database import create_engine, session_factory


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the session's SQLite and PostgreSQL databases in turn."""
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()
