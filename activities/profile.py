"""The profile scan's steps: RFM edges, a page of customers, a batch of segment entries."""

from datetime import datetime
from typing import Literal

import structlog
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from profiles.batch import PageResult, refresh_page, refresh_rfm_edges
from profiles.segment_starts import SegmentStarter, StartReport

log = structlog.get_logger()


class EdgesRequest(BaseModel):
    now: datetime


class PageRequest(BaseModel):
    after: str | None
    limit: int
    now: datetime
    cause: str
    scan: Literal["on_change", "daily"]


class StartRequest(BaseModel):
    limit: int
    per_second: float


class ProfileActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], starter: SegmentStarter) -> None:
        self._sessions = sessions
        self._starter = starter

    @activity.defn
    async def refresh_rfm_edges(self, request: EdgesRequest) -> int:
        return await refresh_rfm_edges(self._sessions, request.now)

    @activity.defn
    async def refresh_profile_page(self, request: PageRequest) -> PageResult:
        result = await refresh_page(
            self._sessions, request.after, request.limit, request.now, request.cause, request.scan
        )
        log.info("profile page", customers=result.customers, entries=result.entries)
        return result

    @activity.defn
    async def start_segment_entries(self, request: StartRequest) -> StartReport:
        return await self._starter.start_pending(
            request.limit, request.per_second, on_start=lambda entry_id: activity.heartbeat()
        )
