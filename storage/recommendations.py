"""The recommendation tables: versions loaded and swapped atomically, the one-query read of a
customer's neighbour lists, the record of what each message recommended, and the
personalisation switch.

Rows go in and out as plain mappings and rows; recommendations/ turns them into its model."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Row,
    Text,
    bindparam,
    cast,
    delete,
    literal,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from models.tables import (
    EventRow,
    RecommendationModelRow,
    RecommendationNeighboursRow,
    RecommendationPreferenceRow,
    RecommendedItemRow,
    table,
)
from storage.database import rowcount

CHUNK = 2_000  # rows per INSERT: well under SQLite's and asyncpg's bind-parameter limits / 13


def _insert(session: AsyncSession, table: Any) -> postgresql.Insert | sqlite.Insert:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


async def load_version(
    sessions: async_sessionmaker[AsyncSession],
    version: str,
    weights: Mapping[str, float],
    rows: Sequence[Mapping[str, Any]],
    now: datetime,
    progress: Callable[[int], None] = lambda _done: None,
) -> bool:
    """Write `version`'s neighbour lists, then make it the active one in a single UPDATE, so
    readers see the old version or the new one, never a mix. The version before stays for a
    rollback; older ones are removed. False when `version` is active already (nothing written)."""
    async with sessions.begin() as session:
        current = await session.get(RecommendationModelRow, version)
        if current is not None and current.active:
            return False
        # A version loaded before but not active (or half-loaded by a crash) is loaded afresh.
        await session.execute(
            delete(RecommendationNeighboursRow).where(
                RecommendationNeighboursRow.version == version
            )
        )
        await session.execute(
            delete(RecommendationModelRow).where(RecommendationModelRow.version == version)
        )
        session.add(
            RecommendationModelRow(
                version=version, sources=len(rows), loaded_at=now, active=False, **weights
            )
        )
        await session.flush()
        for start in range(0, len(rows), CHUNK):
            chunk = [{**row, "version": version} for row in rows[start : start + CHUNK]]
            await session.execute(_insert(session, table(RecommendationNeighboursRow)), chunk)
            progress(start + len(chunk))
    await activate(sessions, version)
    return True


async def activate(sessions: async_sessionmaker[AsyncSession], version: str) -> None:
    """Make a loaded `version` the active one; keep the one it replaces, drop older ones."""
    async with sessions.begin() as session:
        previous = await active_version(session)
        await session.execute(
            update(RecommendationModelRow).values(active=RecommendationModelRow.version == version)
        )
        keep = {version, previous} - {None}
        await session.execute(
            delete(RecommendationNeighboursRow).where(
                RecommendationNeighboursRow.version.not_in(keep)
            )
        )
        await session.execute(
            delete(RecommendationModelRow).where(RecommendationModelRow.version.not_in(keep))
        )


async def active_version(session: AsyncSession) -> str | None:
    return await session.scalar(
        select(RecommendationModelRow.version).where(RecommendationModelRow.active.is_(True))
    )


async def loaded_versions(session: AsyncSession) -> list[RecommendationModelRow]:
    query = select(RecommendationModelRow).order_by(RecommendationModelRow.loaded_at)
    return list((await session.scalars(query)).all())


async def read_neighbours(
    session: AsyncSession,
    version: str,
    sources: Iterable[str],
    items: Iterable[str],
    category_prefix: str,
) -> list[Row[Any]]:
    """In one query, `version`'s neighbour lists of `sources` (products, popular list, bundles,
    categories) and of the categories of `items` (source `category_prefix` + category, found
    through the items' own rows). Two index lookups joined by UNION ALL: an OR of the two would
    scan the table."""
    table = RecommendationNeighboursRow
    own = aliased(RecommendationNeighboursRow)
    categories = select(literal(category_prefix) + own.category).where(
        own.version == version, own.source.in_(list(items))
    )
    direct = select(table.source, table.neighbours).where(
        table.version == version, table.source.in_(list(sources))
    )
    by_category = select(table.source, table.neighbours).where(
        table.version == version, table.source.in_(categories.scalar_subquery())
    )
    statement: Any = union_all(direct, by_category)  # rows of (source, neighbours)
    return list((await session.execute(statement)).all())


class LookupState(NamedTuple):
    personalised: bool  # on unless the customer turned it off
    recent: set[str]  # products recommended to them since `since`, by other messages
    active: Row[Any] | None  # the active model (version, loaded_at, weights); None: none loaded
    # Their events, oldest first, in the union's columns: `kind` the type, `version` the
    # properties as JSON text, `loaded_at` when it occurred.
    events: list[Row[Any]]


def _lookup_state_query(with_events: bool) -> Any:
    """Built once: a lookup only binds the customer, the times and the message (statement
    construction cost more CPU than running it)."""
    model = RecommendationModelRow
    none_at = cast(null(), model.loaded_at.type)
    none_weight = cast(null(), model.neighbour_weight.type)
    # The union's columns take their names from its first SELECT.
    picks = select(
        literal("pick").label("kind"),
        RecommendedItemRow.product_id.label("version"),
        none_at.label("loaded_at"),
        none_weight.label("neighbour_weight"),
        none_weight.label("category_weight"),
    ).where(
        RecommendedItemRow.customer_id == bindparam("customer_id"),
        RecommendedItemRow.recommended_at >= bindparam("since", type_=model.loaded_at.type),
        # A retried send's own earlier record is not a repeat: it picks the same items again.
        RecommendedItemRow.message_id != bindparam("message_id"),
    )
    opted_out = select(literal("opted_out"), literal(""), none_at, none_weight, none_weight).where(
        RecommendationPreferenceRow.customer_id == bindparam("customer_id"),
        RecommendationPreferenceRow.personalised.is_(False),
    )
    active = select(
        literal("model"),
        model.version,
        model.loaded_at,
        model.neighbour_weight,
        model.category_weight,
    ).where(model.active.is_(True))
    if not with_events:
        return union_all(picks, opted_out, active)
    # The events ride in the same columns: the type in `kind` (no kind above is an event type),
    # the properties as JSON text in `version`, the time in `loaded_at`.
    events = select(
        EventRow.type,
        cast(EventRow.properties, Text),
        EventRow.occurred_at,
        none_weight,
        none_weight,
    ).where(
        EventRow.customer_id == bindparam("customer_id"),
        EventRow.occurred_at >= bindparam("events_since", type_=model.loaded_at.type),
        EventRow.type.in_(bindparam("event_types", expanding=True)),
    )
    return union_all(picks, opted_out, active, events)


_LOOKUP_STATE = _lookup_state_query(with_events=False)
_LOOKUP_STATE_WITH_EVENTS = _lookup_state_query(with_events=True)
_STATE_KINDS = frozenset({"pick", "opted_out", "model"})


async def lookup_state(
    session: AsyncSession,
    customer_id: str,
    since: datetime,
    message_id: str = "",
    events: tuple[datetime, Sequence[str]] | None = None,
) -> LookupState:
    """In one round trip: whether the customer wants personalised picks, the products
    recommended to them since `since` by any message but `message_id` on any channel, the
    active model version and, with `events` (since, types), the customer's events of those
    types since then."""
    connection = await session.connection()  # Core: no ORM layer for a read of plain rows
    parameters: dict[str, Any] = {
        "customer_id": customer_id,
        "since": since,
        "message_id": message_id,
    }
    statement = _LOOKUP_STATE
    if events is not None:
        statement = _LOOKUP_STATE_WITH_EVENTS
        parameters |= {"events_since": events[0], "event_types": list(events[1])}
    rows = (await connection.execute(statement, parameters)).all()
    found = [row for row in rows if row.kind == "model"]
    return LookupState(
        all(row.kind != "opted_out" for row in rows),
        {row.version for row in rows if row.kind == "pick"},
        found[0] if found else None,
        sorted((row for row in rows if row.kind not in _STATE_KINDS), key=lambda r: r.loaded_at),
    )


async def record_recommended(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Record a message's picks; a retried send writes nothing twice (keyed by message, item).
    One statement built once per dialect, the rows as its parameter sets (SQLAlchemy sends them
    as one multi-row INSERT): an INSERT built around its values was compiled afresh each time."""
    if rows:
        await session.execute(_RECORD[session.get_bind().dialect.name], list(rows))


_RECORD = {
    name: dialect.insert(table(RecommendedItemRow)).on_conflict_do_nothing(
        index_elements=["message_id", "product_id"]
    )
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


async def recommended_in_message(
    session: AsyncSession, message_id: str
) -> list[RecommendedItemRow]:
    query = (
        select(RecommendedItemRow)
        .where(RecommendedItemRow.message_id == message_id)
        .order_by(RecommendedItemRow.rank)
    )
    return list((await session.scalars(query)).all())


async def personalised(session: AsyncSession, customer_id: str) -> bool:
    """The customer's switch; on unless they turned it off."""
    value = await session.scalar(
        select(RecommendationPreferenceRow.personalised).where(
            RecommendationPreferenceRow.customer_id == customer_id
        )
    )
    return value is None or value


async def set_personalised(
    session: AsyncSession, customer_id: str, value: bool, now: datetime
) -> None:
    insert = _insert(session, table(RecommendationPreferenceRow)).values(
        customer_id=customer_id, personalised=value, updated_at=now
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["customer_id"],
            set_={
                "personalised": insert.excluded.personalised,
                "updated_at": insert.excluded.updated_at,
            },
        )
    )


async def forget_message_picks(session: AsyncSession, message_id: str) -> None:
    """Drop what an earlier attempt of this message recorded (a retry picks again)."""
    await session.execute(
        delete(RecommendedItemRow).where(RecommendedItemRow.message_id == message_id)
    )


async def record_pick_click(
    session: AsyncSession, message_id: str, product_id: str, at: datetime
) -> bool:
    """The first click on a pick's link; False when the pick is unknown or clicked before."""
    result = await session.execute(
        update(RecommendedItemRow)
        .where(
            RecommendedItemRow.message_id == message_id,
            RecommendedItemRow.product_id == product_id,
            RecommendedItemRow.clicked_at.is_(None),
        )
        .values(clicked_at=at)
    )
    return rowcount(result) > 0


async def picks_awaiting_order(
    session: AsyncSession, since: datetime, until: datetime
) -> list[Row]:
    """Picks recommended in [since, until) with no order recorded yet."""
    query = select(
        RecommendedItemRow.message_id,
        RecommendedItemRow.product_id,
        RecommendedItemRow.customer_id,
        RecommendedItemRow.recommended_at,
    ).where(
        RecommendedItemRow.recommended_at >= since,
        RecommendedItemRow.recommended_at < until,
        RecommendedItemRow.ordered_at.is_(None),
    )
    return list((await session.execute(query)).all())


async def record_pick_order(
    session: AsyncSession, message_id: str, product_id: str, order_id: str, at: datetime
) -> None:
    await session.execute(
        update(RecommendedItemRow)
        .where(
            RecommendedItemRow.message_id == message_id,
            RecommendedItemRow.product_id == product_id,
            RecommendedItemRow.ordered_at.is_(None),
        )
        .values(ordered_at=at, order_id=order_id)
    )


async def pick_outcome_rows(session: AsyncSession, since: datetime, until: datetime) -> list[Row]:
    """Every pick recommended in [since, until) with its outcomes, for the report."""
    query = select(
        RecommendedItemRow.kind,
        RecommendedItemRow.explored,
        RecommendedItemRow.model_version,
        RecommendedItemRow.clicked_at,
        RecommendedItemRow.ordered_at,
    ).where(RecommendedItemRow.recommended_at >= since, RecommendedItemRow.recommended_at < until)
    return list((await session.execute(query)).all())
