"""The customer profile's records: the update queue, tags and their changes, scores, segment
members and entries, the configuration's versions and the batch's population figures."""

import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select, union, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from models.behaviour import BehaviourEvent, OrderSummary
from models.customers import Customer
from models.events import EventType
from models.profiles import MessageOutcome, ProfileConfig, ProfileConfigVersion, TagValue
from models.tables import (
    CustomerRow,
    CustomerScoreRow,
    CustomerTagRow,
    EventRow,
    MessageRow,
    ProfileConfigRow,
    ProfileQueueRow,
    ProfileStatRow,
    SegmentEntryRow,
    SegmentMemberRow,
    TagChangeRow,
    table,
)
from storage.customers import to_customer

EVENTS_LOOKBACK = timedelta(days=365)
MESSAGES_LOOKBACK = timedelta(days=180)
_QUEUE = table(ProfileQueueRow)


async def due_updates(
    session: AsyncSession, now: datetime, limit: int, customer_id: str | None = None
) -> list[ProfileQueueRow]:
    """The queue's due rows (or the customer's), oldest first; on PostgreSQL locked for this
    transaction and skipped by other updaters (SQLite has one writer anyway)."""
    query = select(ProfileQueueRow).where(ProfileQueueRow.due_at <= now)
    if customer_id is not None:
        query = query.where(ProfileQueueRow.customer_id == customer_id)
    query = query.order_by(ProfileQueueRow.due_at).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(await session.scalars(query))


_DEQUEUE = delete(_QUEUE).where(
    _QUEUE.c.customer_id == bindparam("done_customer"), _QUEUE.c.cause == bindparam("done_cause")
)


async def dequeue(session: AsyncSession, done: dict[str, str]) -> None:
    """Done with these updates (customer -> the cause updated for); a row a newer event has
    written since (another cause) stays."""
    params = [{"done_customer": c, "done_cause": cause} for c, cause in done.items()]
    await session.execute(_DEQUEUE, params)


async def postpone(
    session: AsyncSession, customer_ids: Collection[str], now: datetime, backoff: timedelta
) -> None:
    """A failed update: try these again after a backoff that doubles with each attempt."""
    rows = await session.scalars(
        select(ProfileQueueRow).where(ProfileQueueRow.customer_id.in_(customer_ids))
    )
    for row in rows:
        row.attempts += 1
        row.due_at = now + min(backoff * 2 ** (row.attempts - 1), timedelta(minutes=5))


async def queued(session: AsyncSession, customer_id: str) -> bool:
    return await session.get(ProfileQueueRow, customer_id) is not None


class CustomerRecords:
    """What the profile is computed from, for a page of customers, in four queries."""

    def __init__(self) -> None:
        self.customers: dict[str, Customer] = {}
        self.events: dict[str, list[BehaviourEvent]] = defaultdict(list)
        self.orders: dict[str, list[OrderSummary]] = defaultdict(list)
        self.messages: dict[str, list[MessageOutcome]] = defaultdict(list)


async def customer_records(
    session: AsyncSession, customer_ids: Collection[str], now: datetime
) -> CustomerRecords:
    records = CustomerRecords()
    ids = list(customer_ids)
    for row in await session.scalars(select(CustomerRow).where(CustomerRow.customer_id.in_(ids))):
        records.customers[row.customer_id] = to_customer(row)
    events = await session.scalars(
        select(EventRow)
        .where(EventRow.customer_id.in_(ids), EventRow.occurred_at >= now - EVENTS_LOOKBACK)
        .order_by(EventRow.occurred_at)
    )
    for event in events:
        records.events[event.customer_id].append(
            BehaviourEvent(
                type=event.type, occurred_at=event.occurred_at, properties=event.properties
            )
        )
    # Every order, however old: CLV counts from the first one.
    orders = await session.execute(
        select(EventRow.customer_id, EventRow.occurred_at, EventRow.properties)
        .where(EventRow.customer_id.in_(ids), EventRow.type == EventType.ORDER_PAID.value)
        .order_by(EventRow.occurred_at)
    )
    for customer_id, paid_at, properties in orders:
        records.orders[customer_id].append(
            OrderSummary(paid_at=paid_at, amount=_amount(properties.get("total")))
        )
    messages = await session.scalars(
        select(MessageRow).where(
            MessageRow.customer_id.in_(ids), MessageRow.created_at >= now - MESSAGES_LOOKBACK
        )
    )
    for message in messages:
        records.messages[message.customer_id].append(
            MessageOutcome(
                created_at=message.created_at,
                status=message.status,
                channel=message.channel,
                opened_at=message.opened_at,
                clicked_at=message.clicked_at,
                complained_at=message.complained_at,
                unsubscribed_at=message.unsubscribed_at,
            )
        )
    return records


def _amount(value: object) -> float:
    try:
        amount = float(value) if isinstance(value, int | float | str) else 0.0
    except ValueError:
        return 0.0
    return amount if amount >= 0 and amount == amount else 0.0


async def customer_page(session: AsyncSession, after: str | None, limit: int) -> list[str]:
    """Customer ids in order after `after`: every customer with a profile or an event."""
    profiles = select(CustomerRow.customer_id.label("customer_id"))
    seen = select(EventRow.customer_id.label("customer_id")).distinct()
    if after is not None:
        profiles = profiles.where(CustomerRow.customer_id > after)
        seen = seen.where(EventRow.customer_id > after)
    both = union(profiles, seen).subquery()
    return list(
        await session.scalars(select(both.c.customer_id).order_by(both.c.customer_id).limit(limit))
    )


async def buyer_figures(session: AsyncSession, now: datetime) -> list[tuple[float, float, float]]:
    """(days since last order, orders, spend) of every customer who ordered in the last year."""
    amount = func.coalesce(EventRow.properties["total"].as_float(), 0.0)
    rows = await session.execute(
        select(func.max(EventRow.occurred_at), func.count(), func.sum(amount))
        .where(
            EventRow.type == EventType.ORDER_PAID.value,
            EventRow.occurred_at > now - EVENTS_LOOKBACK,
            EventRow.occurred_at <= now,
        )
        .group_by(EventRow.customer_id)
    )
    return [
        (max(0, (now - _aware(last)) // timedelta(days=1)), float(count), float(spend or 0.0))
        for last, count, spend in rows
    ]


def _aware(moment: datetime) -> datetime:
    # An aggregate's result skips the column type: SQLite hands back a naive UTC time (or text).
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def read_stat(session: AsyncSession, name: str) -> dict[str, Any] | None:
    row = await session.get(ProfileStatRow, name)
    return None if row is None else row.value


async def write_stat(
    session: AsyncSession, name: str, value: dict[str, Any], now: datetime
) -> None:
    row = await session.get(ProfileStatRow, name)
    if row is None:
        session.add(ProfileStatRow(name=name, value=value, computed_at=now))
    else:
        row.value, row.computed_at = value, now


async def customer_tags(session: AsyncSession, customer_id: str) -> list[CustomerTagRow]:
    rows = await session.scalars(
        select(CustomerTagRow)
        .where(CustomerTagRow.customer_id == customer_id)
        .order_by(CustomerTagRow.tag)
    )
    return list(rows)


async def tags_of(
    session: AsyncSession, customer_ids: Collection[str]
) -> dict[str, dict[str, Any]]:
    held: dict[str, dict[str, Any]] = defaultdict(dict)
    rows = await session.scalars(
        select(CustomerTagRow).where(CustomerTagRow.customer_id.in_(list(customer_ids)))
    )
    for row in rows:
        held[row.customer_id][row.tag] = row.value
    return held


async def apply_tags(
    session: AsyncSession,
    customer_id: str,
    current: dict[str, Any],
    computed: dict[str, TagValue],
    scope: Iterable[tuple[str, int]],
    cause: str,
    now: datetime,
) -> list[TagChangeRow]:
    """Bring the customer's tags in `scope` ((name, version) pairs) to `computed`: set, change
    or drop each, recording every change with its cause. `current`: the tags held now."""
    changes = []
    for name, version in scope:
        old, new = current.get(name), computed.get(name)
        if old == new:
            continue
        if new is None:
            await session.execute(
                delete(CustomerTagRow).where(
                    CustomerTagRow.customer_id == customer_id, CustomerTagRow.tag == name
                )
            )
        else:
            # A tag held now was loaded with `current` (the session has it): no query.
            row = None if old is None else await session.get(CustomerTagRow, (customer_id, name))
            if row is None:
                session.add(
                    CustomerTagRow(
                        customer_id=customer_id,
                        tag=name,
                        value=new,
                        version=version,
                        cause=cause,
                        changed_at=now,
                    )
                )
            else:
                row.value, row.version, row.cause, row.changed_at = new, version, cause, now
        change = TagChangeRow(
            customer_id=customer_id,
            tag=name,
            old=old,
            new=new,
            version=version,
            cause=cause,
            at=now,
        )
        session.add(change)
        changes.append(change)
    return changes


async def tag_changes(session: AsyncSession, customer_id: str) -> list[TagChangeRow]:
    rows = await session.scalars(
        select(TagChangeRow)
        .where(TagChangeRow.customer_id == customer_id)
        .order_by(TagChangeRow.at, TagChangeRow.id)
    )
    return list(rows)


async def tag_counts(session: AsyncSession) -> dict[str, int]:
    """Customers holding each tag."""
    rows = await session.execute(
        select(CustomerTagRow.tag, func.count()).group_by(CustomerTagRow.tag)
    )
    return {tag: count for tag, count in rows}


def _scores_upsert(dialect: Any) -> Any:
    insert = dialect.insert(table(CustomerScoreRow))
    columns = [c.key for c in table(CustomerScoreRow).columns if c.key != "customer_id"]
    return insert.on_conflict_do_update(
        index_elements=["customer_id"], set_={c: insert.excluded[c] for c in columns}
    )


_SCORES_UPSERTS = {
    dialect.dialect.name: _scores_upsert(dialect) for dialect in (postgresql, sqlite)
}


async def save_scores(session: AsyncSession, scores: list[dict[str, Any]]) -> None:
    """Insert or replace customers' scores (the columns of CustomerScoreRow), in one statement."""
    if scores:
        await session.execute(_SCORES_UPSERTS[session.get_bind().dialect.name], scores)


async def scores_of(session: AsyncSession, customer_id: str) -> CustomerScoreRow | None:
    return await session.get(CustomerScoreRow, customer_id)


def entry_id(segment: str, customer_id: str, at: datetime) -> str:
    """The id of an entry and of the event it is routed as: the same entry, the same id."""
    digest = hashlib.sha256(f"{customer_id}|{segment}|{at.isoformat()}".encode()).hexdigest()
    return f"seg:{segment}:{digest[:32]}"


async def segment_members(
    session: AsyncSession, customer_ids: Collection[str]
) -> dict[str, set[str]]:
    rows = await session.execute(
        select(SegmentMemberRow.customer_id, SegmentMemberRow.segment).where(
            SegmentMemberRow.customer_id.in_(list(customer_ids))
        )
    )
    members: dict[str, set[str]] = defaultdict(set)
    for customer_id, segment in rows:
        members[customer_id].add(segment)
    return members


async def update_segments(
    session: AsyncSession,
    customer_id: str,
    members: set[str],
    held: set[str],
    evaluated: set[str],
    cause: str,
    now: datetime,
) -> list[SegmentEntryRow]:
    """Record entering and leaving the evaluated segments (`members`: the segments the customer
    was in); returns the new entries."""
    left = (members - held) & evaluated
    if left:
        await session.execute(
            delete(SegmentMemberRow).where(
                SegmentMemberRow.customer_id == customer_id, SegmentMemberRow.segment.in_(left)
            )
        )
    entries = []
    for segment in sorted(held - members):
        session.add(SegmentMemberRow(customer_id=customer_id, segment=segment, since=now))
        entry = SegmentEntryRow(
            entry_id=entry_id(segment, customer_id, now),
            customer_id=customer_id,
            segment=segment,
            entered_at=now,
            cause=cause,
            started_at=None,
        )
        session.add(entry)
        entries.append(entry)
    return entries


async def pending_entries(
    session: AsyncSession, limit: int, entry_ids: Collection[str] | None = None
) -> list[SegmentEntryRow]:
    """Entries not yet started, in id order (all of them, or those of `entry_ids`)."""
    query = select(SegmentEntryRow).where(SegmentEntryRow.started_at.is_(None))
    if entry_ids is not None:
        query = query.where(SegmentEntryRow.entry_id.in_(list(entry_ids)))
    return list(await session.scalars(query.order_by(SegmentEntryRow.entry_id).limit(limit)))


async def count_pending_entries(session: AsyncSession) -> int:
    query = select(func.count()).where(SegmentEntryRow.started_at.is_(None))
    return int(await session.scalar(query.select_from(SegmentEntryRow)) or 0)


async def mark_entry_started(session: AsyncSession, entry_id: str, now: datetime) -> None:
    await session.execute(
        update(SegmentEntryRow).where(SegmentEntryRow.entry_id == entry_id).values(started_at=now)
    )


async def segment_entries_of(session: AsyncSession, customer_id: str) -> list[SegmentEntryRow]:
    rows = await session.scalars(
        select(SegmentEntryRow)
        .where(SegmentEntryRow.customer_id == customer_id)
        .order_by(SegmentEntryRow.entered_at)
    )
    return list(rows)


async def current_config(session: AsyncSession) -> ProfileConfigVersion:
    row = await session.scalar(
        select(ProfileConfigRow).order_by(ProfileConfigRow.version.desc()).limit(1)
    )
    if row is None:
        return ProfileConfigVersion(
            version=0, config=ProfileConfig(), changed_at=None, changed_by="defaults",
            reason="built-in defaults",
        )  # fmt: skip
    return _config_version(row)


async def config_history(session: AsyncSession) -> list[ProfileConfigVersion]:
    rows = await session.scalars(select(ProfileConfigRow).order_by(ProfileConfigRow.version.desc()))
    return [_config_version(row) for row in rows]


async def save_config(
    session: AsyncSession, config: ProfileConfig, changed_by: str, reason: str, now: datetime
) -> ProfileConfigVersion:
    """A new version; two concurrent changes cannot take the same number (its primary key)."""
    latest = await session.scalar(select(func.max(ProfileConfigRow.version)))
    row = ProfileConfigRow(
        version=(latest or 0) + 1,
        config=config.model_dump(mode="json"),
        changed_at=now,
        changed_by=changed_by,
        reason=reason,
    )
    session.add(row)
    await session.flush()
    return _config_version(row)


def _config_version(row: ProfileConfigRow) -> ProfileConfigVersion:
    return ProfileConfigVersion(
        version=row.version,
        config=ProfileConfig.model_validate(row.config),
        changed_at=row.changed_at,
        changed_by=row.changed_by,
        reason=row.reason,
    )
