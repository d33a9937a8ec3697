"""The event store's routing records: written by group commit, each request still answered only
after its own record is committed."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from models.events import Event, EventType
from models.tables import EventRow
from storage.database import create_engine, session_factory
from storage.events import mark_routed, store_event
from tests.conftest import unique


async def test_concurrent_marks_share_transactions_and_each_lands(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    commits = 0

    @event.listens_for(engine.sync_engine, "commit")
    def _count(_connection) -> None:
        nonlocal commits
        commits += 1

    now = datetime.now(UTC)
    ids = [unique("ev") for _ in range(40)]
    for event_id in ids:
        await store_event(
            sessions,
            Event(
                event_id=event_id,
                customer_id=unique("c"),
                type=EventType.PAGE_VIEWED,
                occurred_at=now,
                properties={"sku": "sku-1"},
            ),
            now,
        )
    commits = 0
    await asyncio.gather(
        *(mark_routed(sessions, i, {"journeys": [{"n": n}]}, now) for n, i in enumerate(ids))
    )

    async with sessions() as session:
        rows = (await session.scalars(select(EventRow).where(EventRow.event_id.in_(ids)))).all()
    assert {row.event_id: row.routing for row in rows} == {
        i: {"journeys": [{"n": n}]} for n, i in enumerate(ids)
    }
    assert all(row.routed_at is not None for row in rows)
    # All 40 were waiting before the write began: they shared its one transaction.
    assert commits == 1
    await engine.dispose()


async def test_a_failed_write_fails_every_mark_waiting_for_it(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'no-schema.db'}")  # no tables
    sessions = session_factory(engine)
    now = datetime.now(UTC)

    results = await asyncio.gather(
        *(mark_routed(sessions, f"ev-{n}", {"journeys": []}, now) for n in range(5)),
        return_exceptions=True,
    )

    assert len(results) == 5
    assert all(isinstance(result, OperationalError) for result in results)
    # The next mark starts a write of its own rather than waiting on the failed one.
    with pytest.raises(OperationalError):
        await mark_routed(sessions, "ev-late", {"journeys": []}, now)
    await engine.dispose()
