"""Core tags within seconds of an event: the worker drains the profile queue.

Every stored event puts its customer into `profile_queue`: a trigger on the events table
(migration 0014) does it within the event's own INSERT, so the update cannot be lost between the
API and here, and costs the API neither a second Temporal call nor a statement of its own. Each
worker process runs one updater: it takes the due rows (locked and skipped by the others on
PostgreSQL), recomputes those customers' core tags, scores and segments and removes the rows,
all in one transaction. If that fails (the database is down, a
bug on one customer) nothing of it is kept: the rows are put back with a backoff that doubles
up to 5 minutes, and retried until the update lands. Segment entries it records are started at
once (profiles/segment_starts.py); the scan's workflow starts any it could not.
"""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from profiles.clv import shipped_model
from profiles.refresh import refresh_customers
from profiles.segment_starts import SegmentStarter
from profiles.settings import ProfileSettings
from profiles.tags import CORE_TAGS
from storage.profiles import current_config, dequeue, due_updates, postpone

log = structlog.get_logger()


def utcnow() -> datetime:
    return datetime.now(UTC)


class ProfileUpdater:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: ProfileSettings,
        starter: SegmentStarter | None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._starter = starter
        self._clock = clock

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            updated = await self.update_once()
            if updated == 0:
                # Nothing due (or the database is away): look again shortly.
                try:
                    await asyncio.wait_for(stop.wait(), self._settings.update_poll_seconds)
                except TimeoutError:
                    pass

    async def update_once(self) -> int:
        """One transaction's worth; returns the customers updated (0: none due, or it failed).

        A batch that fails is tried again customer by customer at once, so that a customer whose
        update keeps failing (a bad record) holds back no one else: only the failing ones (all
        of them, while the database is away) wait for their backoff."""
        now = self._clock()
        try:
            ids, entries = await self._update(now, self._settings.update_batch)
        except _UpdateFailed as failed:
            log.warning("profile update failed", error=repr(failed.__cause__))
            ids, entries = [], []
            for customer_id in failed.customer_ids:
                try:
                    done, made = await self._update(now, 1, customer_id)
                except _UpdateFailed as alone:
                    log.warning("profile update failed; retried", customer_id=customer_id,
                                error=repr(alone.__cause__))  # fmt: skip
                    await self._postpone([customer_id], now)
                    continue
                ids, entries = ids + done, entries + made
        await self._start(entries)
        return len(ids)

    async def _update(
        self, now: datetime, limit: int, customer_id: str | None = None
    ) -> tuple[list[str], list[str]]:
        """Update due customers (or the one given) in one transaction: (their ids, the segment
        entries made). The ids are known to the caller even when it raises."""
        ids: list[str] = []
        try:
            async with self._sessions.begin() as session:
                rows = await due_updates(session, now, limit, customer_id)
                ids.extend(row.customer_id for row in rows)
                if not rows:
                    return [], []
                causes = {row.customer_id: row.cause for row in rows}
                config = await current_config(session)
                entries = await refresh_customers(
                    session, ids, causes, CORE_TAGS, "on_change", config, shipped_model(), now
                )
                await dequeue(session, causes)
        except Exception as err:
            raise _UpdateFailed(ids) from err
        return ids, [entry.entry_id for entry in entries]

    async def _start(self, entry_ids: list[str]) -> None:
        if not entry_ids or self._starter is None:
            return
        try:
            await self._starter.start_pending(
                len(entry_ids), self._settings.starts_per_second, entry_ids
            )
        except Exception as err:  # the scan's workflow starts what is left pending
            log.warning("segment entries left for the scan", error=repr(err))

    async def _postpone(self, ids: list[str], now: datetime) -> None:
        backoff = timedelta(seconds=self._settings.retry_seconds)
        try:
            async with self._sessions.begin() as session:
                await postpone(session, ids, now, backoff)
        except (SQLAlchemyError, OSError):
            pass  # still down: the rows stay due, and are tried again at the next poll


class _UpdateFailed(Exception):
    """An update's transaction failed; nothing of it was kept."""

    def __init__(self, customer_ids: list[str]) -> None:
        super().__init__(f"{len(customer_ids)} customers")
        self.customer_ids = customer_ids
