"""The event types customers' systems subscribe to, and the events' payloads.

The events are not written by the send path: they are read from the rows it already writes
(the ledger, receipts, journey entries, tag changes) and from the journey runs Temporal closed,
each named `<type>:<row id>` (a journey's end: `<type>:<run id>`) so that the same row or run
read twice is the same event (webhooks/collect.py). No contact detail and no message
text goes into a payload: ids, journey, step, channel, status and reason.
"""

from datetime import datetime
from typing import Any

from storage.webhooks import WebhookEvent
from webhooks.completed import ClosedJourney

JOURNEY_COMPLETED = "journey.completed"
MESSAGE_EVENTS = (
    "message.sent",
    "message.deferred",
    "message.suppressed",
    "message.delivered",
    "message.opened",
    "message.clicked",
    "message.unsubscribed",
    "message.complained",
)
EVENT_TYPES: tuple[str, ...] = (
    *MESSAGE_EVENTS,
    "journey.started",
    JOURNEY_COMPLETED,
    "tag.changed",
    "alert.raised",
    "alert.cleared",
)
# Status of a ledger row -> the event its decision is.
_BY_STATUS = {
    "sent": "message.sent",
    "deferred": "message.deferred",
    "suppressed": "message.suppressed",
}
# Feedback timestamps of a ledger row -> the event each is.
_BY_COLUMN = {
    "opened_at": "message.opened",
    "clicked_at": "message.clicked",
    "complained_at": "message.complained",
    "unsubscribed_at": "message.unsubscribed",
}


def message_events(row: Any) -> list[WebhookEvent]:
    """What one ledger row has to tell: its decision (sent, deferred, suppressed) and each piece
    of feedback it got."""
    data = {
        "message_id": row.message_id,
        "customer_id": row.customer_id,
        "journey": row.journey,
        "workflow_id": row.workflow_id,
        "step": row.step,
        "channel": row.channel,
        "status": row.status,
        "reason": row.reason,
    }
    found = []
    if row.status in _BY_STATUS:
        at = (row.delivered_at or row.updated_at) if row.status == "sent" else row.created_at
        found.append(_event(_BY_STATUS[row.status], row.message_id, row.customer_id, at, data))
    for column, type in _BY_COLUMN.items():
        at = getattr(row, column)
        if at is not None:
            found.append(_event(type, row.message_id, row.customer_id, at, data))
    return found


def delivered_event(row: Any) -> WebhookEvent:
    data = {
        "message_id": row.message_id,
        "customer_id": row.customer_id,
        "channel": row.channel,
        "provider": row.provider,
    }
    return _event("message.delivered", row.message_id, row.customer_id, row.occurred_at, data)


def journey_started(row: Any) -> WebhookEvent:
    data = {
        "customer_id": row.customer_id,
        "journey": row.journey,
        "workflow_id": row.workflow_id,
        "trigger_event_id": row.trigger_event_id,
    }
    return _event("journey.started", row.run_id, row.customer_id, row.entered_at, data)


def journey_completed(run: ClosedJourney) -> WebhookEvent:
    data = {
        "customer_id": run.customer_id,
        "journey": run.journey,
        "workflow_id": run.workflow_id,
        "run_id": run.run_id,
        "outcome": run.outcome,
        "started_at": run.started_at.isoformat(),
        "completed_at": run.completed_at.isoformat(),
    }
    return _event(JOURNEY_COMPLETED, run.run_id, run.customer_id, run.completed_at, data)


def tag_changed(row: Any) -> WebhookEvent:
    data = {
        "customer_id": row.customer_id,
        "tag": row.tag,
        "old": row.old,
        "new": row.new,
        "version": row.version,
    }
    return _event("tag.changed", str(row.id), row.customer_id, row.at, data)


def _event(
    type: str, source: str, customer_id: str | None, at: datetime, data: dict[str, Any]
) -> WebhookEvent:
    return WebhookEvent(f"{type}:{source}", type, customer_id, at, data)


def payload(event: WebhookEvent) -> dict[str, Any]:
    """The body as Standard Webhooks lays it out: type, timestamp, data."""
    return {"type": event.type, "timestamp": event.occurred_at.isoformat(), "data": event.data}
