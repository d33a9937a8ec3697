"""The connections of storage/database.py: SQLite's read-only ones serve a journey's facts while
the process's one writer connection is inside a write transaction; one-statement writes commit
by themselves on PostgreSQL and in a plain transaction on SQLite; a PostgreSQL connection the
server closed is replaced before use."""

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.testing import ActivityEnvironment

from activities.facts import JourneyFactsActivities
from dormancy.settings import DormancySettings
from journeys.runs import FactsRequest
from models.customers import CustomerProfile
from scoring.settings import ScoringSettings
from storage.customers import lock_customer, upsert_customer
from storage.database import autocommit, create_engine, read_engine, session_factory
from tests.conftest import eventually, unique


async def test_facts_are_read_while_the_writer_holds_a_transaction(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    reader = read_engine(engine)
    sessions, reads = session_factory(engine), session_factory(reader)
    customer_id = unique("c")
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        await upsert_customer(session, customer_id, CustomerProfile(timezone="UTC"), now)
    facts = JourneyFactsActivities(sessions, reads, None, ScoringSettings(), DormancySettings())
    try:
        async with sessions.begin() as session:
            # The writer's only connection is taken, and SQLite's write lock with it.
            assert await lock_customer(session, customer_id) is not None
            read = ActivityEnvironment().run(
                facts.customer_facts, FactsRequest(customer_id=customer_id, now=now)
            )
            result = await asyncio.wait_for(read, timeout=10)
        assert result.segment is not None
    finally:
        await engine.dispose()
        await reader.dispose()


async def test_the_read_connections_refuse_writes(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    reader = read_engine(engine)
    try:
        async with reader.connect() as connection:
            with pytest.raises(OperationalError, match="readonly"):
                await connection.execute(text("DELETE FROM customers"))
    finally:
        await reader.dispose()
        await engine.dispose()


async def test_postgresql_reads_share_the_pool_without_transactions(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    reader = read_engine(engine)
    try:
        assert reader.sync_engine.pool is engine.sync_engine.pool
        # Two statements share a transaction id inside a transaction, not when each commits.
        transaction_id = text("SELECT txid_current()")
        async with reader.connect() as connection:
            ids = [await connection.scalar(transaction_id) for _ in range(2)]
            assert ids[0] != ids[1]
        async with engine.connect() as connection:
            ids = [await connection.scalar(transaction_id) for _ in range(2)]
            assert ids[0] == ids[1]
    finally:
        await engine.dispose()
        await reader.dispose()


async def add_customer(session: AsyncSession) -> str:
    customer_id = unique("c")
    await upsert_customer(session, customer_id, CustomerProfile(timezone="UTC"), datetime.now(UTC))
    return customer_id


async def is_stored(engine: AsyncEngine, customer_id: str) -> bool:
    async with session_factory(engine)() as session:
        return await lock_customer(session, customer_id) is not None


async def test_a_one_statement_write_on_sqlite_is_a_plain_transaction(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with autocommit(session_factory(engine)).begin() as session:
            # Switching the pooled connection to autocommit and back would cost more hops to
            # aiosqlite's thread than the COMMIT it saves.
            raw = await (await session.connection()).get_raw_connection()
            assert raw.driver_connection.isolation_level is not None  # None: sqlite3 autocommit
            customer_id = await add_customer(session)
        assert await is_stored(engine, customer_id)
    finally:
        await engine.dispose()


async def test_a_one_statement_write_on_postgresql_commits_by_itself(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    try:
        async with autocommit(session_factory(engine))() as session:
            customer_id = await add_customer(session)  # the session never commits
        assert await is_stored(engine, customer_id)
    finally:
        await engine.dispose()


async def test_a_postgresql_connection_the_server_closed_is_replaced_before_use(
    postgres_url: str,
) -> None:
    engine = create_engine(postgres_url)
    admin = create_engine(postgres_url)
    try:
        async with engine.connect() as connection:
            first = await connection.scalar(text("SELECT pg_backend_pid()"))
        async with admin.connect() as connection:  # as a server restart would, for this one
            await connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})

        async def gone() -> bool:
            async with admin.connect() as connection:
                alive = await connection.scalar(
                    text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": first}
                )
            return alive == 0

        await eventually(gone)
        await asyncio.sleep(0.1)  # the pooled connection reads the server's goodbye
        async with engine.connect() as connection:
            second = await connection.scalar(text("SELECT pg_backend_pid()"))
        assert second != first
    finally:
        await engine.dispose()
        await admin.dispose()
