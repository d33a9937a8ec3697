"""Real services for the suite: one Temporal dev server, SQLite and PostgreSQL, an SMTP server."""

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from cli.dev_server import temporal_binary
from encryption import EncryptionSettings, Keyring
from models.search_attributes import ALL as SEARCH_ATTRIBUTES
from settings import Settings
from storage.database import create_engine, migrate, read_engine, session_factory
from temporal_client import data_converter, exit_after_shutdown
from tests.smtp_server import SmtpSink
from workers.build import build_worker

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
API_KEY = "test-key"
# Every payload the suite writes to Temporal is encrypted, as in production (the codec passes
# through payloads recorded without it: the committed histories); under the development keys,
# which the suite's settings resolve to as well, so the API's codec server reads them.
DATA_CONVERTER = data_converter(Keyring.development())
# The real-model tests need the `llm-test` extra (llama-cpp-python, built from source):
# scripts/test-llm.sh installs it and runs them, as a CI step of their own.
collect_ignore = [] if os.environ.get("REAL_LLM_TESTS") == "1" else ["real_llm"]


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping_v2(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=temporal_binary(),
        dev_server_extra_args=[
            "--dynamic-config-value",
            "frontend.WorkflowTimeSkippingEnabled=true",
            "--dynamic-config-value",  # wedged journeys marked (ops/wedged.py)
            "system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute=2",
        ],
        search_attributes=SEARCH_ATTRIBUTES,
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
async def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'journeys.db'}"
    await migrate(url)
    return url


@contextlib.asynccontextmanager
async def postgres_database(
    prefix: str = "journeys_test", *, migrated: bool = True
) -> AsyncIterator[str]:
    """A database of its own on the local PostgreSQL server, dropped afterwards; migrated to
    the newest revision unless not `migrated` (empty: a test of the migrations)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        if migrated:
            await migrate(url)
        yield url
    finally:  # a failed test leaves no database behind
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture(scope="session")
async def postgres_url() -> AsyncIterator[str]:
    """A database of its own for the session."""
    async with postgres_database() as url:
        yield url


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Both backends, for the storage and API tests."""
    return request.getfixturevalue(f"{request.param}_url")


def make_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    # Journeys under test run in the strict sandbox: a non-deterministic call fails them.
    overrides.setdefault("strict_workflow_sandbox", True)
    overrides.setdefault("api_keys", [API_KEY])
    # As DATA_CONVERTER: payloads encrypted, under the development keys.
    overrides.setdefault("encryption", EncryptionSettings(payloads=True))
    return Settings(
        database_url=database_url, data_dir=data_dir, task_queue=f"tq-{uuid.uuid4()}", **overrides
    )


def mail_settings(
    database_url: str, data_dir: Path, smtp: SmtpSink, **overrides: object
) -> Settings:
    """make_settings with email going to the session's SMTP server."""
    return make_settings(
        database_url,
        data_dir,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_timeout_seconds=2.0,
        **overrides,
    )


class Stack:
    """API + worker against the session's Temporal server, one fresh task queue per test."""

    def __init__(self, settings: Settings, client: Client | None) -> None:
        self.settings = settings
        self.client = client
        self.engine = create_engine(settings.resolved_database_url)
        self.sessions: async_sessionmaker[AsyncSession] = session_factory(self.engine)
        # As workers/main.py: on SQLite, the journeys' fact reads go through read-only connections.
        self.reader = read_engine(self.engine)
        self.app = create_app(settings, temporal_client=client)
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url="http://api",
            headers={"Authorization": f"Bearer {API_KEY}"},
        )

    async def close(self) -> None:
        """Close what the stack opened. httpx's ASGI transport runs no lifespan, so the app's
        shutdown (which disposes of its own engine) is run here, as uvicorn runs it at exit: a
        pooled connection left open would be finalised later, inside another test's loop."""
        await self.http.aclose()
        async with self.app.router.lifespan_context(self.app):
            pass
        await self.engine.dispose()
        await self.reader.dispose()


@asynccontextmanager
async def worker_stack(
    temporal_env: WorkflowEnvironment, settings: Settings
) -> AsyncIterator[Stack]:
    """The API and a worker with `settings`, on the session's Temporal server."""
    stack = Stack(settings, temporal_env.client)
    reads = session_factory(stack.reader)
    async with build_worker(temporal_env.client, settings, stack.sessions, reads=reads):
        yield stack
    await stack.close()


@pytest.fixture
async def stack(
    temporal_env: WorkflowEnvironment, sqlite_url: str, smtp: SmtpSink, tmp_path: Path
) -> AsyncIterator[Stack]:
    async with worker_stack(temporal_env, mail_settings(sqlite_url, tmp_path, smtp)) as stack:
        yield stack


@pytest.fixture
async def api(
    database_url: str, temporal_env: WorkflowEnvironment, tmp_path: Path
) -> AsyncIterator[Stack]:
    """The API alone (no worker): journeys are started and signalled, and wait."""
    stack = Stack(make_settings(database_url, tmp_path), temporal_env.client)
    with temporal_env.with_time_skipping_disabled():
        yield stack
    await stack.close()


_exit_status = 0


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _exit_status
    _exit_status = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    # A process holding a Temporal runtime can abort at interpreter exit (sdk-python #300) after
    # all tests ran; leave now so the exit code is the tests' verdict, not the teardown's.
    exit_after_shutdown(_exit_status)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def eventually(check, timeout: float = 20.0):
    """Poll an async check until it returns a truthy value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.2)
