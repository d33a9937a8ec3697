"""Starting the journeys of segment entries: at a bounded rate, resumably, each once.

An entry (storage: segment_entries) becomes an event with the entry's id (`segment_entered`, or
the segment's own event type), stored in the event store and routed as the API routes a posted
event: its journeys' `active_journeys` rows claimed in the event's transaction, then a start
of each journey it triggers (routing.start_journey, as for a posted event), then the event
marked routed and the entry started. Safe to run again after a crash at any point:

- an entry whose event is already marked routed is only marked started;
- an entry whose event is stored but not routed (the crash came between the two) is *in doubt*:
  a journey it triggers is started only if no run of that workflow id was started on this very
  event (the chain's first run carries its trigger event in its input), so no journey is
  started twice; a running journey is signalled as usual and drops the event id it has seen;
- an entry not yet stored is simply started.

Entries are taken in id order, `limit` at a time, at most `per_second` starts a second; the
caller (the profile scan's workflow, or the updater for the entries it just made) repeats until
none is left, so a crash mid-way resumes where it stopped and skips none.
"""

import asyncio
import time
from collections.abc import Callable, Collection
from datetime import UTC, datetime

import structlog
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from journeys.registry import Action, routes_for
from journeys.runs import JourneyInput
from models.events import Event
from models.tables import SegmentEntryRow
from profiles.segments import SEGMENTS_BY_NAME
from routing import start_journey
from storage.events import mark_routed, store_and_claim
from storage.profiles import count_pending_entries, mark_entry_started, pending_entries

log = structlog.get_logger()
# Starts under way at once: the rate is the bound; this keeps one slow call from stalling it.
CONCURRENT_STARTS = 32


class StartReport(BaseModel):
    started: int = 0
    journeys: int = 0
    remaining: int = 0


def entry_event(entry: SegmentEntryRow) -> Event:
    segment = SEGMENTS_BY_NAME[entry.segment]
    return Event(
        event_id=entry.entry_id,
        customer_id=entry.customer_id,
        type=segment.event,
        occurred_at=entry.entered_at,
        properties=segment.event_properties(),
    )


class SegmentStarter:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], client: Client, task_queue: str
    ) -> None:
        self._sessions = sessions
        self._client = client
        self._task_queue = task_queue

    async def start_pending(
        self,
        limit: int,
        per_second: float,
        entry_ids: Collection[str] | None = None,
        on_start: Callable[[str], None] = lambda _entry_id: None,
    ) -> StartReport:
        """Start up to `limit` pending entries (of `entry_ids`, if given); `on_start` is told
        of each (the activity heartbeats)."""
        async with self._sessions() as session:
            entries = await pending_entries(session, limit, entry_ids)
        report = StartReport()
        began = time.monotonic()
        in_flight = asyncio.Semaphore(CONCURRENT_STARTS)

        async def start(n: int, entry: SegmentEntryRow) -> None:
            # Paced: the n-th start no sooner than n / per_second after the first.
            await asyncio.sleep(max(0.0, began + n / per_second - time.monotonic()))
            async with in_flight:
                journeys = await self._start(entry)
            report.journeys += journeys  # after the await: the others add to it meanwhile
            report.started += 1
            on_start(entry.entry_id)

        # A failure cancels the starts in flight: what they left half done is in doubt, and
        # the next call finishes it (see the module's docstring).
        async with asyncio.TaskGroup() as starts:
            for n, entry in enumerate(entries):
                starts.create_task(start(n, entry))
        async with self._sessions() as session:
            report.remaining = await count_pending_entries(session)
        return report

    async def _start(self, entry: SegmentEntryRow) -> int:
        event = entry_event(entry)
        routes = routes_for(event.type, event.properties)
        starts = [route.journey for route in routes if route.action == Action.START]
        now = datetime.now(UTC)
        row, new, _active = await store_and_claim(
            self._sessions, event, now, [journey.kind for journey in starts]
        )
        started = 0
        if new or row.routed_at is None:
            in_doubt = not new
            for journey in starts:
                workflow_id = journey.workflow_id(event.customer_id)
                if in_doubt and await self._started_on(workflow_id, event.event_id):
                    continue
                await start_journey(self._client, self._task_queue, journey, event)
                started += 1
            routing = {"journeys": [{"journey": j.kind, "action": "started"} for j in starts]}
            await mark_routed(self._sessions, event.event_id, routing, datetime.now(UTC))
        async with self._sessions.begin() as session:
            await mark_entry_started(session, entry.entry_id, datetime.now(UTC))
        log.info(
            "segment entry started",
            entry_id=entry.entry_id,
            customer_id=entry.customer_id,
            segment=entry.segment,
            journeys=[journey.kind for journey in starts],
            in_doubt=not new,
        )
        return started

    async def _started_on(self, workflow_id: str, event_id: str) -> bool:
        """Whether a run of `workflow_id` was started on this event (an earlier attempt's)."""
        handle = self._client.get_workflow_handle(workflow_id)
        try:
            description = await handle.describe()
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        if description.status == WorkflowExecutionStatus.RUNNING:
            return False  # a start only signals it; it drops an event it has seen
        first_run = description.raw_description.workflow_execution_info.first_run_id
        first = self._client.get_workflow_handle(workflow_id, run_id=first_run or None)
        async for history_event in first.fetch_history_events():
            # The chain's first event: its input names the trigger the run was started on.
            started = history_event.workflow_execution_started_event_attributes
            [carried] = await self._client.data_converter.decode(
                started.input.payloads, [JourneyInput]
            )
            return carried.trigger is not None and carried.trigger.event_id == event_id
        return False
