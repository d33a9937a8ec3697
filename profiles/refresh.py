"""Refreshing customers' profiles: tags, scores and segments, in the caller's transaction.

The same function serves the updater (a few customers after their events, core tags only) and
the batch (every customer, every tag): both record each tag change with its cause and each
segment entry, which is then started (profiles/segment_starts.py).
"""

from collections.abc import Collection
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from models.profiles import ProfileConfigVersion
from models.tables import SegmentEntryRow
from profiles.clv import ClvModel
from profiles.compute import compute_profile
from profiles.features import ProfileInputs
from profiles.rfm import RfmEdges
from profiles.segments import segments_held
from profiles.tags import TagDefinition
from storage.profiles import (
    apply_tags,
    customer_records,
    read_stat,
    save_scores,
    segment_members,
    tags_of,
    update_segments,
)

RFM_EDGES = "rfm_edges"


async def rfm_edges_now(session: AsyncSession) -> RfmEdges | None:
    stored = await read_stat(session, RFM_EDGES)
    return None if stored is None else RfmEdges.model_validate(stored)


async def refresh_customers(
    session: AsyncSession,
    customer_ids: Collection[str],
    causes: dict[str, str],
    tags: tuple[TagDefinition, ...],
    scan: Literal["on_change", "daily"],
    config: ProfileConfigVersion,
    clv_model: ClvModel,
    now: datetime,
) -> list[SegmentEntryRow]:
    """Recompute `tags` for these customers; `causes`: customer -> what caused it.

    Everything is read and computed before the first write: on SQLite the transaction takes the
    database's one write lock at its first write, and the API's events wait for it meanwhile."""
    edges = await rfm_edges_now(session)
    records = await customer_records(session, customer_ids, now)
    held = await tags_of(session, customer_ids)
    members = await segment_members(session, customer_ids)
    scope = [(tag.name, tag.version) for tag in tags]
    profiles = {
        customer_id: compute_profile(
            ProfileInputs(
                customer_id=customer_id,
                customer=records.customers.get(customer_id),
                events=tuple(records.events.get(customer_id, ())),
                orders=tuple(records.orders.get(customer_id, ())),
                messages=tuple(records.messages.get(customer_id, ())),
            ),
            config.config,
            edges,
            clv_model,
            now,
            tags,
        )
        for customer_id in customer_ids
    }
    entries = []
    for customer_id, profile in profiles.items():
        current = held.get(customer_id, {})
        cause = causes[customer_id]
        await apply_tags(session, customer_id, current, profile.tags, scope, cause, now)
        after = {name: value for name, value in current.items() if name not in dict(scope)}
        after.update(profile.tags)
        held_segments, evaluated = segments_held(after, scan)
        was_in = members.get(customer_id, set())
        entries += await update_segments(
            session, customer_id, was_in, held_segments, evaluated, cause, now
        )
    await save_scores(
        session,
        [
            {
                "customer_id": customer_id,
                "health_score": profile.health.score,
                "health_parts": [part.model_dump(mode="json") for part in profile.health.parts],
                "stage": profile.stage.value,
                "rfm": profile.rfm.model_dump() if profile.rfm else None,
                "clv": profile.clv.model_dump() if profile.clv else None,
                "config_version": config.version,
                "cause": causes[customer_id],
                "computed_at": now,
            }
            for customer_id, profile in profiles.items()
        ],
    )
    return entries
