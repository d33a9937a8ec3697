"""The audit log of operator actions (models.tables.AuditRow)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.tables import AuditRow

log = structlog.get_logger()


class AuditEntry:
    """What an audited action reports back before it ends: its outcome and details."""

    def __init__(self) -> None:
        self.outcome = "ok"
        self.detail: dict[str, Any] = {}


@asynccontextmanager
async def audited(
    sessions: async_sessionmaker[AsyncSession], actor: str, action: str, target: str | None
) -> AsyncIterator[AuditEntry]:
    """Record the action when it ends: `ok` (or what the block set), or how it failed. A failure
    to write the record is logged, not raised over the action's own outcome."""
    entry = AuditEntry()
    try:
        yield entry
    except BaseException as err:
        entry.outcome = f"failed: {_describe(err)}"
        raise
    finally:
        try:
            async with sessions.begin() as session:
                session.add(
                    AuditRow(
                        at=datetime.now(UTC),
                        actor=actor,
                        action=action,
                        target=target,
                        outcome=entry.outcome[:256],
                        detail=entry.detail or None,
                    )
                )
        except Exception as err:  # the action's outcome stands; the gap is logged
            log.error("audit record not written", action=action, actor=actor, error=repr(err))


async def audit_entries(
    session: AsyncSession, action: str | None = None, limit: int = 100
) -> list[AuditRow]:
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if action is not None:
        query = query.where(AuditRow.action == action)
    return list(await session.scalars(query))


def _describe(err: BaseException) -> str:
    status = getattr(err, "status_code", None)
    detail = getattr(err, "detail", None)
    if status is not None:
        return f"{status} {detail}" if detail else str(status)
    return type(err).__name__
