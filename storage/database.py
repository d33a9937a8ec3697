"""Engine and sessions for SQLite (the default) and PostgreSQL, and running the migrations."""

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, Result, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext import asyncio as sqlalchemy_asyncio
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from encryption import Keyring
from models.tables import keyring_of

if TYPE_CHECKING:
    from alembic.config import Config


def create_async_engine(url: str, **options: object) -> AsyncEngine:
    # Looked up at each call: OpenTelemetry's SQLAlchemy instrumentation (telemetry/tracing.py)
    # wraps the function in its module once tracing is configured.
    return sqlalchemy_asyncio.create_async_engine(url, **options)


MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# What runs Core statements: a session, or a connection where a hot path skips the ORM's
# bookkeeping (the send path's transactions).
Executor = AsyncSession | AsyncConnection
READERS = 4  # read-only SQLite connections per process


def create_engine(url: str, keyring: Keyring | None = None) -> AsyncEngine:
    """An engine whose statements encrypt and decrypt contact details with `keyring` (None: the
    development keys; production passes Settings.keyring())."""
    engine = _engine(url)
    engine.sync_engine.dialect.journeys_keyring = keyring or Keyring.development()  # type: ignore[attr-defined]  # the keyring rides on the dialect, where the column types reach it
    return engine


def _engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        # One connection per process: SQLite takes one writer at a time anyway, and queueing in
        # the pool is fair and cheap where SQLite's own busy handler sleeps up to 100 ms a try.
        engine = create_async_engine(
            url, connect_args={"timeout": 30}, pool_size=1, max_overflow=0, pool_timeout=60
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # WAL lets the API read while the worker writes; foreign keys are off by default.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    engine = create_async_engine(url, pool_size=20, max_overflow=20)

    @event.listens_for(engine.sync_engine, "checkout")
    def _replace_closed(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        # asyncpg notices by itself when the server closes a connection (a restart, a terminated
        # backend): such a pooled connection is replaced before use. SQLAlchemy's pool_pre_ping
        # would ask the server instead, three round trips per checkout with asyncpg (BEGIN, a
        # ping, ROLLBACK): a third of a send's database time.
        if record.driver_connection.is_closed():
            raise DisconnectionError("the server closed this connection")

    return engine


def dialect_name(executor: Executor) -> str:
    """`sqlite` or `postgresql`: the backend a session or connection runs on."""
    if isinstance(executor, AsyncConnection):
        return executor.dialect.name
    return executor.get_bind().dialect.name


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE matched: its result is a CursorResult, which the session's
    `execute` types as a plain Result."""
    return cast(CursorResult[Any], result).rowcount


def read_engine(engine: AsyncEngine) -> AsyncEngine:
    """Where reads that need no transaction go (a journey's facts); dispose of it with `engine`.

    SQLite: read-only connections to the same file, so that these reads do not queue behind the
    one writer connection's transactions (in WAL mode readers never wait for it). Others: the
    same pool, each statement committing by itself (no BEGIN and ROLLBACK round trips).
    """
    if engine.dialect.name != "sqlite":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    reader = create_async_engine(
        engine.url.render_as_string(hide_password=False),
        connect_args={"timeout": 30},
        pool_size=READERS,
        max_overflow=0,
        pool_timeout=60,
    )
    reader.sync_engine.dialect.journeys_keyring = keyring_of(engine.sync_engine.dialect)  # type: ignore[attr-defined]  # the keyring rides on the dialect, where the column types reach it

    @event.listens_for(reader.sync_engine, "connect")
    def _read_only(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    return reader


def engine_of(sessions: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    engine: AsyncEngine = sessions.kw["bind"]
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def autocommit(sessions: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    """The same database, each statement committing by itself: for plain reads and one-statement
    writes, which then cost no BEGIN and COMMIT round trips. Callers still say `begin()`.

    Not on SQLite, where BEGIN and COMMIT are no round trips but switching a pooled connection to
    autocommit and back is: aiosqlite's thread sets the isolation level at checkout, and at return
    again plus a `PRAGMA read_uncommitted` (nine hops to that thread for one statement, five in a
    transaction, all on the one writer connection)."""
    engine = engine_of(sessions)
    if engine.dialect.name == "sqlite":
        return sessions
    return session_factory(engine.execution_options(isolation_level="AUTOCOMMIT"))


def alembic_config(url: str, keyring: Keyring | None = None) -> "Config":
    """`keyring`: what revisions that encrypt existing rows encrypt them with (None: the
    development keys)."""
    # Alembic (and Mako under it) only for the commands that migrate: not a worker's start-up.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["keyring"] = keyring or Keyring.development()
    return config


async def migrate(url: str, keyring: Keyring | None = None) -> None:
    """Bring the schema to the newest revision (in a thread: Alembic's env runs its own loop)."""
    if url.startswith("sqlite"):
        Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    from alembic import command

    await asyncio.to_thread(command.upgrade, alembic_config(url, keyring), "head")
