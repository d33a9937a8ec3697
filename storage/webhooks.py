"""Outbound webhooks' rows: endpoints, the events' outbox, each endpoint's place in it, and the
dead letters (models.tables.Webhook*Row). What an event says and when it is sent is decided in
webhooks/; here are only the reads and writes."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from models.tables import (
    JourneyEntryRow,
    MessageRow,
    ReceiptRow,
    TagChangeRow,
    WebhookDeadLetterRow,
    WebhookEndpointRow,
    WebhookEventRow,
    WebhookLockRow,
    table,
)
from storage.database import Executor, dialect_name, rowcount

ENDPOINTS = table(WebhookEndpointRow)
EVENTS = table(WebhookEventRow)
LOCKS = table(WebhookLockRow)
DEAD = table(WebhookDeadLetterRow)
MESSAGES = table(MessageRow)
EVENTS_LOCK = "events"


@dataclass(frozen=True)
class WebhookEvent:
    """One event as the outbox keeps it; `event_id` names its source row and type, so the same
    row collected twice is the same event."""

    event_id: str
    type: str
    customer_id: str | None
    occurred_at: datetime
    data: dict[str, Any]
    seq: int = 0


@dataclass(frozen=True)
class Endpoint:
    endpoint_id: str
    url: str
    event_types: list[str]
    secret: str
    description: str
    cursor: int
    failing_since: datetime | None
    failures: int
    last_error: str | None
    created_at: datetime


@dataclass(frozen=True)
class DeadLetter:
    endpoint_id: str
    seq: int
    event_id: str
    error: str
    failures: int
    dead_at: datetime
    state: str
    replayed_at: datetime | None


def _insert(executor: Executor) -> Any:
    """The dialect's INSERT, which has ON CONFLICT DO NOTHING."""
    return pg_insert if dialect_name(executor) == "postgresql" else sqlite_insert


async def lock_events(executor: Executor) -> datetime | None:
    """Take the outbox's writer lock for the transaction (an UPDATE: a row lock on PostgreSQL,
    the write lock on SQLite) and return when the last collection ran (None: never)."""
    await executor.execute(
        update(LOCKS).where(LOCKS.c.name == EVENTS_LOCK).values(name=LOCKS.c.name)
    )
    return await last_collected(executor)


async def last_collected(executor: Executor) -> datetime | None:
    """When the last collection ran (None: never), without the lock."""
    return await executor.scalar(select(LOCKS.c.taken_at).where(LOCKS.c.name == EVENTS_LOCK))


async def mark_collected(executor: Executor, at: datetime) -> None:
    done = await executor.execute(
        update(LOCKS).where(LOCKS.c.name == EVENTS_LOCK).values(taken_at=at)
    )
    if not rowcount(done):
        await executor.execute(
            _insert(executor)(LOCKS).values(name=EVENTS_LOCK, taken_at=at).on_conflict_do_nothing()
        )


async def add_events(executor: Executor, events: Sequence[WebhookEvent]) -> int:
    """Append the events not yet in the outbox, in the order given; returns how many were new.
    Call under lock_events, so the numbers commit in order."""
    if not events:
        return 0
    known: set[str] = set()
    ids = [event.event_id for event in events]
    for start in range(0, len(ids), 500):
        found = await executor.scalars(
            select(EVENTS.c.event_id).where(EVENTS.c.event_id.in_(ids[start : start + 500]))
        )
        known.update(found)
    new = [event for event in events if event.event_id not in known]
    for event in new:
        await executor.execute(
            _insert(executor)(EVENTS)
            .values(
                event_id=event.event_id,
                type=event.type,
                customer_id=event.customer_id,
                occurred_at=event.occurred_at,
                data=event.data,
            )
            .on_conflict_do_nothing()
        )
    return len(new)


async def message_rows(executor: Executor, since: datetime) -> list[Any]:
    """Ledger rows written since (decided, delivered, any feedback: MessageRow.changed_at)."""
    rows = await executor.execute(select(MESSAGES).where(MESSAGES.c.changed_at >= since))
    return list(rows)


async def delivered_receipts(executor: Executor, since: datetime) -> list[Any]:
    rows = await executor.execute(
        select(table(ReceiptRow)).where(
            ReceiptRow.type == "delivered", ReceiptRow.received_at >= since
        )
    )
    return list(rows)


async def journey_entries(executor: Executor, since: datetime) -> list[Any]:
    """Journey entries written since (not entered: the workflow's time may be older)."""
    entries = table(JourneyEntryRow)
    return list(await executor.execute(select(entries).where(entries.c.recorded_at >= since)))


async def tag_changes(executor: Executor, since: datetime) -> list[Any]:
    """Tag changes written since (a scan stamps its changes with the time its run began)."""
    changes = table(TagChangeRow)
    return list(await executor.execute(select(changes).where(changes.c.recorded_at >= since)))


async def max_seq(executor: Executor) -> int:
    return int(await executor.scalar(select(func.coalesce(func.max(EVENTS.c.seq), 0))) or 0)


async def add_endpoint(executor: Executor, endpoint: Endpoint) -> None:
    await executor.execute(ENDPOINTS.insert().values(**endpoint.__dict__))


async def get_endpoint(executor: Executor, endpoint_id: str) -> Endpoint | None:
    row = (
        await executor.execute(select(ENDPOINTS).where(ENDPOINTS.c.endpoint_id == endpoint_id))
    ).one_or_none()
    return None if row is None else Endpoint(**row._mapping)


async def list_endpoints(executor: Executor) -> list[Endpoint]:
    rows = await executor.execute(select(ENDPOINTS).order_by(ENDPOINTS.c.created_at))
    return [Endpoint(**row._mapping) for row in rows]


async def delete_endpoint(executor: Executor, endpoint_id: str) -> bool:
    await executor.execute(delete(DEAD).where(DEAD.c.endpoint_id == endpoint_id))
    done = await executor.execute(delete(ENDPOINTS).where(ENDPOINTS.c.endpoint_id == endpoint_id))
    return bool(rowcount(done))


async def events_after(executor: Executor, seq: int, limit: int) -> list[WebhookEvent]:
    rows = await executor.execute(
        select(EVENTS).where(EVENTS.c.seq > seq).order_by(EVENTS.c.seq).limit(limit)
    )
    return [_event(row) for row in rows]


async def events_by_seq(executor: Executor, seqs: Iterable[int]) -> list[WebhookEvent]:
    rows = await executor.execute(select(EVENTS).where(EVENTS.c.seq.in_(list(seqs))))
    return [_event(row) for row in rows]


def _event(row: Any) -> WebhookEvent:
    return WebhookEvent(row.event_id, row.type, row.customer_id, row.occurred_at, row.data, row.seq)


async def advance(executor: Executor, endpoint_id: str, seq: int) -> None:
    """The endpoint took (or dead-lettered) every event up to `seq`; its failures are over."""
    await executor.execute(
        update(ENDPOINTS)
        .where(ENDPOINTS.c.endpoint_id == endpoint_id, ENDPOINTS.c.cursor < seq)
        .values(cursor=seq, failing_since=None, failures=0, last_error=None)
    )


async def record_failure(
    executor: Executor, endpoint_id: str, since: datetime, failures: int, error: str
) -> None:
    await executor.execute(
        update(ENDPOINTS)
        .where(ENDPOINTS.c.endpoint_id == endpoint_id)
        .values(failing_since=since, failures=failures, last_error=error[:200])
    )


async def add_dead_letter(executor: Executor, letter: DeadLetter) -> None:
    await executor.execute(
        _insert(executor)(DEAD).values(**letter.__dict__).on_conflict_do_nothing()
    )


async def list_dead_letters(
    executor: Executor, endpoint_id: str | None = None, state: str | None = None
) -> list[DeadLetter]:
    """The console's list: every endpoint's (or one's), newest first."""
    query = select(DEAD).order_by(DEAD.c.dead_at.desc(), DEAD.c.seq.desc())
    if endpoint_id is not None:
        query = query.where(DEAD.c.endpoint_id == endpoint_id)
    if state is not None:
        query = query.where(DEAD.c.state == state)
    return [DeadLetter(**row._mapping) for row in await executor.execute(query)]


async def replay_dead_letter(executor: Executor, endpoint_id: str, seq: int) -> bool:
    """Ask for a dead letter to be sent again (the endpoint's delivery workflow sends it at its
    next pass); False if there is no such letter."""
    done = await executor.execute(
        update(DEAD)
        .where(DEAD.c.endpoint_id == endpoint_id, DEAD.c.seq == seq)
        .values(state="replay")
    )
    return bool(rowcount(done))


async def mark_replayed(executor: Executor, endpoint_id: str, seq: int, at: datetime) -> None:
    await executor.execute(
        update(DEAD)
        .where(DEAD.c.endpoint_id == endpoint_id, DEAD.c.seq == seq)
        .values(state="replayed", replayed_at=at)
    )
