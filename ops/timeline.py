"""A customer's journey timeline: our records and Temporal's histories merged in time order.

From the database: every event received (events table), every message decision with its
reason (the contact ledger), and the profile's records: identities merged (or a merge
refused), tag changes with their causes, segments entered. From Temporal: every run with
CustomerId = the customer or an anonymous customer merged into it (visibility), its start and
close, and each step it reached (the JourneyStep search attribute it upserted, read from the
run's history, at the workflow time of the task that upserted it).
"""

import asyncio
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecution
from temporalio.converter import decode_typed_search_attributes

from models.messages import MessageDecision
from models.search_attributes import JOURNEY_KIND, JOURNEY_STEP
from ops.queries import literal
from storage.events import events_for_customer
from storage.identity import merges_of
from storage.ledger import messages_for_customer
from storage.profiles import segment_entries_of, tag_changes


class EntryKind(StrEnum):
    IDENTITY_MERGED = "identity_merged"
    EVENT_RECEIVED = "event_received"
    TAG_CHANGED = "tag_changed"
    SEGMENT_ENTERED = "segment_entered"
    JOURNEY_STARTED = "journey_started"
    STEP_REACHED = "step_reached"
    MESSAGE_DECIDED = "message_decided"
    JOURNEY_ENDED = "journey_ended"


# Within one instant: the event, then the journey it starts, its steps, decisions, its end.
_ORDER = {kind: position for position, kind in enumerate(EntryKind)}


class TimelineEntry(BaseModel):
    at: datetime
    kind: EntryKind
    summary: str
    journey: str | None = None
    workflow_id: str | None = None
    run_id: str | None = None
    detail: dict[str, Any] = {}


class Timeline(BaseModel):
    customer_id: str
    entries: list[TimelineEntry]


async def _record_entries(
    sessions: async_sessionmaker[AsyncSession], customer_id: str
) -> list[TimelineEntry]:
    async with sessions() as session:
        events = await events_for_customer(session, customer_id)
        messages = await messages_for_customer(session, customer_id)
        merges = await merges_of(session, customer_id)
        changes = await tag_changes(session, customer_id)
        entered = await segment_entries_of(session, customer_id)
    entries = [
        TimelineEntry(
            at=event.received_at,
            kind=EntryKind.EVENT_RECEIVED,
            summary=f"{event.type} received",
            detail={
                "event_id": event.event_id,
                "type": event.type,
                "occurred_at": event.occurred_at.isoformat(),
                "journeys": (event.routing or {}).get("journeys", []),
            },
        )
        for event in events
    ]
    entries += [
        TimelineEntry(
            at=message.created_at,
            kind=EntryKind.MESSAGE_DECIDED,
            summary=f"{message.step}: {message.status} ({_why(message)})"
            + (f" via {message.channel}" if message.channel else "")
            + _copy_summary(message),
            journey=message.journey,
            workflow_id=message.workflow_id,
            detail={
                "message_id": message.message_id,
                "step": message.step,
                "channel": message.channel,
                "status": message.status,
                "reason": message.reason,
                "rule": message.rule,
                "rule_source": message.rule_source,
                "blocked_by": message.blocked_by,
                "trigger_event_id": message.trigger_event_id,
                "content_path": message.content_path,
                "content_reasons": message.content_reasons,
            },
        )
        for message in messages
    ]
    entries += [
        TimelineEntry(
            at=merge.at,
            kind=EntryKind.IDENTITY_MERGED,
            summary=f"{merge.merged_id} {merge.outcome} into {merge.into_id} ({merge.reason})",
            detail={
                "merged_id": merge.merged_id,
                "into_id": merge.into_id,
                "outcome": merge.outcome,
                "reason": merge.reason,
                "event_id": merge.source,
            },
        )
        for merge in merges
    ]
    entries += [
        TimelineEntry(
            at=change.at,
            kind=EntryKind.TAG_CHANGED,
            summary=f"tag {change.tag}: {change.old!r} -> {change.new!r}",
            detail={
                "tag": change.tag,
                "old": change.old,
                "new": change.new,
                "cause": change.cause,
                "version": change.version,
            },
        )
        for change in changes
    ]
    entries += [
        TimelineEntry(
            at=entry.entered_at,
            kind=EntryKind.SEGMENT_ENTERED,
            summary=f"entered segment {entry.segment}",
            detail={
                "segment": entry.segment,
                "entry_id": entry.entry_id,
                "cause": entry.cause,
                "started_at": entry.started_at.isoformat() if entry.started_at else None,
            },
        )
        for entry in entered
    ]
    return entries


def _why(message: MessageDecision) -> str:
    """The reason, the rule that held a message past its deadline, and whose rule it was:
    `past_deliver_by: daily_cap, customer's rule`."""
    why = message.reason
    if message.blocked_by:
        why += f": {message.blocked_by}"
    if message.rule_source is not None and message.status != "sent":
        why += f", {message.rule_source}'s rule"
    return why


def _copy_summary(message: MessageDecision) -> str:
    """ ", copy by llm" or ", copy by template (llm_timeout)"; nothing before the copy exists."""
    if message.content_path is None:
        return ""
    reasons = f" ({', '.join(message.content_reasons)})" if message.content_reasons else ""
    return f", copy by {message.content_path}{reasons}"


async def _run_entries(client: Client, execution: WorkflowExecution) -> list[TimelineEntry]:
    journey = execution.typed_search_attributes.get(JOURNEY_KIND)
    run = {"journey": journey, "workflow_id": execution.id, "run_id": execution.run_id}
    entries = [
        TimelineEntry(
            at=execution.start_time,
            kind=EntryKind.JOURNEY_STARTED,
            summary=f"{journey or execution.workflow_type} started",
            detail={"workflow_type": execution.workflow_type},
            **run,
        )
    ]
    handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
    task_started_at = execution.start_time
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            # The workflow's clock (workflow.now()) during the task whose commands follow: the
            # time its decisions were recorded under, so steps and decisions interleave right.
            task_started_at = event.event_time.ToDatetime(tzinfo=UTC)
        if event.event_type != EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            continue
        upserted = event.upsert_workflow_search_attributes_event_attributes.search_attributes
        step = decode_typed_search_attributes(upserted).get(JOURNEY_STEP)
        if step is not None:
            entries.append(
                TimelineEntry(
                    at=task_started_at,
                    kind=EntryKind.STEP_REACHED,
                    summary=f"step {step}",
                    detail={"step": step},
                    **run,
                )
            )
    if execution.close_time is not None and execution.status is not None:
        status = execution.status.name.lower()
        entries.append(
            TimelineEntry(
                at=execution.close_time,
                kind=EntryKind.JOURNEY_ENDED,
                summary=f"{journey or execution.workflow_type} {status}",
                detail={"status": status},
                **run,
            )
        )
    return entries


async def customer_timeline(
    client: Client, sessions: async_sessionmaker[AsyncSession], customer_id: str
) -> Timeline:
    # The journeys of anonymous customers merged into this one ran under their old ids.
    async with sessions() as session:
        merges = await merges_of(session, customer_id)
    merged = {m.merged_id for m in merges if m.into_id == customer_id and m.outcome == "merged"}
    ids = [customer_id, *sorted(merged - {customer_id})]
    query = " OR ".join(f"CustomerId = {literal(i)}" for i in ids)
    runs = [run async for run in client.list_workflows(query)]
    per_run = await asyncio.gather(*(_run_entries(client, run) for run in runs))
    entries = await _record_entries(sessions, customer_id)
    for run_entries in per_run:
        entries += run_entries
    entries.sort(key=lambda entry: (entry.at, _ORDER[entry.kind]))
    return Timeline(customer_id=customer_id, entries=entries)
