"""Alerts (models.tables.AlertRow) and the counts their thresholds are judged on."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, case, func, or_, select, update
from sqlalchemy.sql import ColumnElement

from models.tables import (
    AlertRow,
    DeliveryAttemptRow,
    MessageRow,
    ProfileQueueRow,
    RecommendedItemRow,
    table,
)
from storage.database import Executor, rowcount

ALERTS = table(AlertRow)
MESSAGES = table(MessageRow)
ATTEMPTS = table(DeliveryAttemptRow)


@dataclass(frozen=True)
class Alert:
    alert_id: str
    key: str
    threshold: str
    scope: dict[str, Any]
    value: float
    limit: float
    raised_at: datetime
    cleared_at: datetime | None
    action: str | None


@dataclass(frozen=True)
class SendCounts:
    """One journey's sends on one channel in the window, and the feedback on them."""

    journey: str
    channel: str
    sent: int
    complaints: int
    unsubscribes: int


@dataclass(frozen=True)
class AttemptCounts:
    """One provider's calls on one channel in the window, and how many it refused for good."""

    channel: str
    provider: str
    attempts: int
    failed: int


@dataclass(frozen=True)
class CopyCounts:
    written: int  # copies the LLM was asked for
    fallbacks: int  # of which the template wrote after the LLM's copy failed its checks


def _within(column: Any, since: datetime, until: datetime) -> ColumnElement[bool]:
    return and_(column >= since, column < until)


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)


async def send_counts(executor: Executor, since: datetime, until: datetime) -> list[SendCounts]:
    """Per journey and channel: messages handed over, complaints and unsubscribes in the window
    (the feedback counted when it came, on whichever message it names)."""
    sent = _within(MESSAGES.c.delivered_at, since, until)
    complained = _within(MESSAGES.c.complained_at, since, until)
    unsubscribed = _within(MESSAGES.c.unsubscribed_at, since, until)
    rows = await executor.execute(
        select(
            MESSAGES.c.journey,
            MESSAGES.c.channel,
            _count(sent).label("sent"),
            _count(complained).label("complaints"),
            _count(unsubscribed).label("unsubscribes"),
        )
        .where(MESSAGES.c.channel.is_not(None), or_(sent, complained, unsubscribed))
        .group_by(MESSAGES.c.journey, MESSAGES.c.channel)
    )
    return [SendCounts(*row) for row in rows]


async def attempt_counts(
    executor: Executor, since: datetime, until: datetime
) -> list[AttemptCounts]:
    """Per channel and provider called; an attempt that called none (no address, no consent)
    is no provider's failure and is not counted."""
    rows = await executor.execute(
        select(
            ATTEMPTS.c.channel,
            ATTEMPTS.c.provider,
            func.count().label("attempts"),
            _count(ATTEMPTS.c.outcome == "failed").label("failed"),
        )
        .where(_within(ATTEMPTS.c.at, since, until), ATTEMPTS.c.provider.is_not(None))
        .group_by(ATTEMPTS.c.channel, ATTEMPTS.c.provider)
    )
    return [AttemptCounts(*row) for row in rows]


async def copy_counts(executor: Executor, since: datetime, until: datetime) -> CopyCounts:
    asked = MESSAGES.c.content_path.in_(("llm", "llm_retry", "template"))
    fallback = and_(MESSAGES.c.content_path == "template", MESSAGES.c.content_notes != "")
    row = (
        await executor.execute(
            select(_count(asked), _count(fallback)).where(
                _within(MESSAGES.c.created_at, since, until), MESSAGES.c.content_notes.is_not(None)
            )
        )
    ).one()
    return CopyCounts(written=int(row[0]), fallbacks=int(row[1]))


async def pick_clicks(executor: Executor, since: datetime, until: datetime) -> tuple[int, int]:
    """(picks recommended in the period, of which clicked on their own tracked link)"""
    items = table(RecommendedItemRow)
    row = (
        await executor.execute(
            select(func.count(), _count(items.c.clicked_at.is_not(None))).where(
                _within(items.c.recommended_at, since, until)
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def oldest_queued(executor: Executor) -> datetime | None:
    """When the longest-waiting customer in the profile queue was queued (None: it is empty)."""
    queue = table(ProfileQueueRow)
    return await executor.scalar(select(func.min(queue.c.queued_at)))


async def open_alerts(executor: Executor) -> list[Alert]:
    rows = await executor.execute(select(ALERTS).where(ALERTS.c.cleared_at.is_(None)))
    return [Alert(**row._mapping) for row in rows]


async def list_alerts(executor: Executor, open_only: bool = False, limit: int = 100) -> list[Alert]:
    """The console's list: newest first, open ones only if asked."""
    query = select(ALERTS).order_by(ALERTS.c.raised_at.desc()).limit(limit)
    if open_only:
        query = query.where(ALERTS.c.cleared_at.is_(None))
    return [Alert(**row._mapping) for row in await executor.execute(query)]


async def add_alert(executor: Executor, alert: Alert) -> None:
    await executor.execute(ALERTS.insert().values(**alert.__dict__))


async def clear_alert(executor: Executor, alert_id: str, at: datetime) -> bool:
    done = await executor.execute(
        update(ALERTS)
        .where(ALERTS.c.alert_id == alert_id, ALERTS.c.cleared_at.is_(None))
        .values(cleared_at=at)
    )
    return bool(rowcount(done))
