"""The migrations build exactly the schema the models describe, on both databases."""

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from models.tables import Base, JourneyEntryRow, MessageRow, UTCDateTime
from storage.database import alembic_config, session_factory
from tests.conftest import postgres_database


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_async_engine(database_url)
    async with engine.connect() as connection:
        differences = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )
    await engine.dispose()
    assert differences == []


async def test_the_written_at_columns_are_filled_from_each_rows_latest_time(
    tmp_path: Path,
) -> None:
    """Upgrading a database with rows in it (0019): a ledger row of the last week was last
    written at its latest timestamp, an entry when it was entered; older rows are left empty (no
    collection looks back that far). On both databases."""
    now = datetime.now(UTC).replace(microsecond=0)
    messages = sa.table(
        "messages",
        *(sa.column(name) for name in ("message_id", "idempotency_key", "customer_id")),
        *(sa.column(name) for name in ("journey", "workflow_id", "step", "trigger_event_id")),
        *(sa.column(name) for name in ("status", "reason", "importance")),
        *(sa.column(name, UTCDateTime) for name in ("created_at", "updated_at", "opened_at")),
    )
    entries = sa.table(
        "journey_entries",
        *(sa.column(name) for name in ("run_id", "customer_id", "journey", "workflow_id")),
        sa.column("trigger_event_id"),
        sa.column("entered_at", UTCDateTime),
    )
    async with contextlib.AsyncExitStack() as stack:
        sqlite = f"sqlite+aiosqlite:///{tmp_path / 'upgrade.db'}"
        empty = postgres_database("journeys_upgrade", migrated=False)
        for url in (sqlite, await stack.enter_async_context(empty)):
            config = alembic_config(url)
            await asyncio.to_thread(command.upgrade, config, "0018_message_provider")
            engine = create_async_engine(url)
            async with engine.begin() as connection:
                # Sent three hours ago and opened one hour ago (reported later); a month old.
                for message_id, created, opened in (
                    ("m-1", now - timedelta(hours=3), now - timedelta(hours=1)),
                    ("m-old", now - timedelta(days=30), None),
                ):
                    await connection.execute(
                        messages.insert().values(
                            message_id=message_id,
                            idempotency_key=f"k-{message_id}",
                            customer_id="c-1",
                            journey="welcome",
                            workflow_id="welcome:c-1",
                            step="hello",
                            trigger_event_id=f"e-{message_id}",
                            status="sent",
                            reason="ok",
                            importance="normal",
                            created_at=created,
                            updated_at=created,
                            opened_at=opened,
                        )
                    )
                await connection.execute(
                    entries.insert().values(
                        run_id="r-1",
                        customer_id="c-1",
                        journey="welcome",
                        workflow_id="welcome:c-1",
                        trigger_event_id="e-1",
                        entered_at=now - timedelta(hours=2),
                    )
                )
            await asyncio.to_thread(command.upgrade, config, "head")
            async with session_factory(engine)() as session:
                message = await session.get(MessageRow, "m-1")
                old = await session.get(MessageRow, "m-old")
                entry = await session.get(JourneyEntryRow, "r-1")
            await engine.dispose()
            assert message is not None and message.changed_at == now - timedelta(hours=1), url
            assert entry is not None and entry.recorded_at == now - timedelta(hours=2), url
            # Beyond any collection's look-back: left empty, not rewritten.
            assert old is not None and old.changed_at is None, url
