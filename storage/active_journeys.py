"""Which journeys may be running for a customer, so that an event is signalled only to those.

An ending or awaited event (`order_paid` for cart abandonment, `cart_updated` for browse
abandonment and winback) used to cost a Temporal call per journey it could reach, almost always
answered "not found". The rule that keeps this safe: a row is written, and committed, before
every start of a journey, so a run that may be alive always has one. A row is removed only when
a signal found no run, only if no start has touched it since (same start event id) and only after
START_GRACE, longer than a start call may take (START_RPC_TIMEOUT) — a start racing the removal
has always written its row after the removal, or the removal does not match.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from types import ModuleType

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import Insert

from models.tables import ActiveJourneyRow, table

START_RPC_TIMEOUT = timedelta(seconds=30)
START_GRACE = timedelta(minutes=5)

# journey kind -> the start event id the row carried when read
ActiveJourneys = dict[str, str]

_TABLE = table(ActiveJourneyRow)


def _upsert(dialect: ModuleType) -> Insert:
    insert = dialect.insert(_TABLE)
    return insert.on_conflict_do_update(
        index_elements=["customer_id", "journey"],
        set_={
            "last_start_event_id": insert.excluded.last_start_event_id,
            "updated_at": insert.excluded.updated_at,
        },
    )


# Built once, on the table rather than the mapped class: they run for every event.
_UPSERTS = {dialect.dialect.name: _upsert(dialect) for dialect in (postgresql, sqlite)}
_SELECT_ACTIVE = select(_TABLE.c.journey, _TABLE.c.last_start_event_id).where(
    _TABLE.c.customer_id == bindparam("active_customer_id")
)


async def claim_starts(
    session: AsyncSession, customer_id: str, journeys: Iterable[str], event_id: str, now: datetime
) -> None:
    """Record, in the caller's transaction, that these journeys are about to be started."""
    values = [
        {
            "customer_id": customer_id,
            "journey": j,
            "last_start_event_id": event_id,
            "updated_at": now,
        }
        for j in journeys
    ]
    if not values:
        return
    await session.execute(_UPSERTS[session.get_bind().dialect.name], values)


async def claim_restarts(
    sessions: async_sessionmaker[AsyncSession], workflow_ids: Iterable[str], now: datetime
) -> None:
    """Before operators bring journeys back (a reset or restart of a failed run): their rows,
    which a signal may have removed since the run failed. Ids are `<journey>:<customer id>`."""
    async with sessions.begin() as session:
        for workflow_id in workflow_ids:
            journey, customer_id = workflow_id.split(":", 1)
            await claim_starts(session, customer_id, [journey], f"ops:{workflow_id}", now)


async def active_journeys(session: AsyncSession, customer_id: str) -> ActiveJourneys:
    rows = await session.execute(_SELECT_ACTIVE, {"active_customer_id": customer_id})
    return {journey: event_id for journey, event_id in rows.all()}


async def forget_ended(
    sessions: async_sessionmaker[AsyncSession],
    customer_id: str,
    journey: str,
    read_event_id: str,
    now: datetime,
) -> None:
    """A signal found no run: drop the row, unless a start has touched it since it was read or
    within START_GRACE."""
    async with sessions.begin() as session:
        await session.execute(
            delete(ActiveJourneyRow).where(
                ActiveJourneyRow.customer_id == customer_id,
                ActiveJourneyRow.journey == journey,
                ActiveJourneyRow.last_start_event_id == read_event_id,
                ActiveJourneyRow.updated_at < now - START_GRACE,
            )
        )
