"""The recommendation tables: versions loaded and swapped atomically, the one-query read of a
customer's neighbour lists, the record of what each message recommended, and the
personalisation switch.

Rows go in and out as plain mappings and rows; recommendations/ turns them into its model."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, delete, literal, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from models.tables import (
    RecommendationAlertRow,
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


def _active(*columns: Any, table: Any = RecommendationNeighboursRow) -> Select[Any]:
    return select(*columns).join(
        RecommendationModelRow,
        (RecommendationModelRow.version == table.version) & RecommendationModelRow.active.is_(True),
    )


async def read_neighbours(
    session: AsyncSession, items: Iterable[str], sources: Iterable[str], category_prefix: str
) -> list[Row[Any]]:
    """In one query, the active version's neighbour lists of the customer's `items`, of the
    other `sources` (popular list, bundles) and of those items' categories (source
    `category_prefix` + category), each row with the version and its ranking weights. Two index
    lookups joined by UNION ALL: an OR of the two would scan the table."""
    item_ids = list(items)
    columns = (
        RecommendationNeighboursRow.source,
        RecommendationNeighboursRow.neighbours,
        RecommendationModelRow.version,
        RecommendationModelRow.loaded_at,
        RecommendationModelRow.neighbour_weight,
        RecommendationModelRow.category_weight,
    )
    own = aliased(RecommendationNeighboursRow)
    categories = _active(literal(category_prefix) + own.category, table=own).where(
        own.source.in_(item_ids)
    )
    direct = _active(*columns).where(RecommendationNeighboursRow.source.in_([*item_ids, *sources]))
    by_category = _active(*columns).where(
        RecommendationNeighboursRow.source.in_(categories.scalar_subquery())
    )
    return list((await session.execute(union_all(direct, by_category))).all())


async def customer_state(
    session: AsyncSession, customer_id: str, since: datetime
) -> tuple[bool, set[str]]:
    """In one round trip: whether the customer wants personalised picks (on unless they turned
    it off), and the products recommended to them since `since` by any message on any channel."""
    picks = select(literal("pick"), RecommendedItemRow.product_id).where(
        RecommendedItemRow.customer_id == customer_id,
        RecommendedItemRow.recommended_at >= since,
    )
    opted_out = select(literal("opted_out"), literal("")).where(
        RecommendationPreferenceRow.customer_id == customer_id,
        RecommendationPreferenceRow.personalised.is_(False),
    )
    rows = (await session.execute(union_all(picks, opted_out))).all()
    return (
        all(kind != "opted_out" for kind, _ in rows),
        {product_id for kind, product_id in rows if kind == "pick"},
    )


async def record_recommended(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Record a message's picks; a retried send writes nothing twice (keyed by message, item)."""
    if rows:
        insert = _insert(session, table(RecommendedItemRow)).values(list(rows))
        await session.execute(
            insert.on_conflict_do_nothing(index_elements=["message_id", "product_id"])
        )


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


async def add_alert(
    session: AsyncSession, kind: str, raised_at: datetime, detail: Mapping[str, Any]
) -> None:
    session.add(RecommendationAlertRow(kind=kind, raised_at=raised_at, detail=dict(detail)))


async def alerts(session: AsyncSession, kind: str) -> list[RecommendationAlertRow]:
    query = (
        select(RecommendationAlertRow)
        .where(RecommendationAlertRow.kind == kind)
        .order_by(RecommendationAlertRow.raised_at)
    )
    return list((await session.scalars(query)).all())
