"""Operator commands go to the audit log like the API's operator routes; the actor is the
user and host that ran `journeyctl` (an API call records its key's name instead)."""

import getpass
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from settings import Settings
from storage.audit import AuditEntry, audited
from storage.database import create_engine, session_factory


def cli_actor() -> str:
    return f"cli:{getpass.getuser()}@{socket.gethostname()}"


@asynccontextmanager
async def audited_command(
    settings: Settings, action: str, target: str | None
) -> AsyncIterator[AuditEntry]:
    engine = create_engine(settings.resolved_database_url, settings.keyring())
    try:
        async with audited(session_factory(engine), cli_actor(), action, target) as entry:
            yield entry
    finally:
        await engine.dispose()
