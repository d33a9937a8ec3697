"""The audit of provider calls behind each ledger row: retries, failovers, unknown outcomes."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.tables import DeliveryAttemptRow, table
from storage.database import Executor

_INSERT = insert(table(DeliveryAttemptRow))


class AttemptOutcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # refused for now (5xx, 429, unreachable): tried again on the same channel
    FAILED = "failed"  # refused for good on this channel: the next allowed channel is tried
    UNKNOWN = "unknown"  # the attempt was cut off mid-call; found so by the next attempt


async def record_attempt(
    executor: Executor,
    message_id: str,
    channel: str,
    outcome: AttemptOutcome,
    reason: str,
    at: datetime,
    provider_ref: str | None = None,
    *,
    provider: str | None,
) -> None:
    """`provider`: the one called (channels/setup.py names them); None when none was."""
    await executor.execute(
        _INSERT,
        {
            "message_id": message_id,
            "channel": channel,
            "outcome": outcome,
            "reason": reason[:64],
            "provider_ref": provider_ref,
            "provider": provider,
            "at": at,
        },
    )


async def attempts_for_message(session: AsyncSession, message_id: str) -> list[DeliveryAttemptRow]:
    rows = await session.scalars(
        select(DeliveryAttemptRow)
        .where(DeliveryAttemptRow.message_id == message_id)
        .order_by(DeliveryAttemptRow.id)
    )
    return list(rows)
