"""The interest categories kept per customer: the latest signup's, on both databases."""

from datetime import UTC, datetime, timedelta

from storage.database import create_engine, session_factory
from storage.interests import interest_categories, record_interests
from tests.conftest import unique


async def test_the_latest_signup_wins_and_a_late_older_one_changes_nothing(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    customer_id, now = unique("c"), datetime.now(UTC)

    async def signed_up(categories: list[str], days_ago: int) -> list[str]:
        async with sessions.begin() as session:
            await record_interests(
                session, customer_id, categories, now - timedelta(days=days_ago), now
            )
        async with sessions() as session:
            return await interest_categories(session, customer_id)

    try:
        assert await signed_up(["Tea", " Books ", "Tea"], 2) == ["Tea", "Books"]
        assert await signed_up(["Garden"], 3) == ["Tea", "Books"]  # older, arrived late
        assert await signed_up(["Garden"], 1) == ["Garden"]
        async with sessions() as session:
            assert await interest_categories(session, unique("nobody")) == []
    finally:
        await engine.dispose()
