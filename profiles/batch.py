"""The batch: every customer's tags recomputed (hourly), and the daily scan (dormancy).

A run refreshes the RFM quintile edges over the last year's buyers, then walks every customer in
id order, a page per transaction (the workflow keeps the cursor: a crash resumes at the page it
was on, and a page redone changes nothing twice). Each page recomputes all tags, scores and
segments (the daily scan also the `daily` segments, dormancy) and records the entries.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from profiles.clv import shipped_model
from profiles.refresh import RFM_EDGES, refresh_customers
from profiles.rfm import rfm_edges
from profiles.tags import TAGS
from storage.profiles import buyer_figures, current_config, customer_page, write_stat


class PageResult(BaseModel):
    customers: int
    entries: int
    next_after: str | None


async def refresh_rfm_edges(sessions: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Recompute and store the quintile edges; returns the number of buyers they cover."""
    async with sessions.begin() as session:
        figures = await buyer_figures(session, now)
        edges = rfm_edges(*zip(*figures, strict=True)) if figures else None
        if edges is not None:
            await write_stat(session, RFM_EDGES, edges.model_dump(), now)
    return len(figures)


async def refresh_page(
    sessions: async_sessionmaker[AsyncSession],
    after: str | None,
    limit: int,
    now: datetime,
    cause: str,
    scan: Literal["on_change", "daily"],
) -> PageResult:
    async with sessions.begin() as session:
        ids = await customer_page(session, after, limit)
        if not ids:
            return PageResult(customers=0, entries=0, next_after=None)
        config = await current_config(session)
        entries = await refresh_customers(
            session, ids, dict.fromkeys(ids, cause), TAGS, scan, config, shipped_model(), now
        )
    return PageResult(
        customers=len(ids),
        entries=len(entries),
        next_after=ids[-1] if len(ids) == limit else None,
    )
