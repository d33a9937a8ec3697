"""Builders for guardrail inputs: a customer with every consent, a request, earlier contacts."""

from datetime import UTC, datetime
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

from guardrails import ContactRecord, CustomerSnapshot, SendRequest
from models.channels import Channel
from models.messages import MessageStatus

SHANGHAI = "Asia/Shanghai"
LOS_ANGELES = "America/Los_Angeles"

_triggers = count(1)


def local(zone: str, year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """The UTC instant of a wall-clock time in `zone` (first occurrence if repeated)."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def customer(zone: str = SHANGHAI, **changes: Any) -> CustomerSnapshot:
    fields: dict[str, Any] = {"timezone": zone, "consent": {c: True for c in Channel}}
    return CustomerSnapshot(**(fields | changes))


def request(**changes: Any) -> SendRequest:
    fields: dict[str, Any] = {
        "customer_id": "cust-1",
        "journey": "cart_abandonment",
        "workflow_id": "cart_abandonment:cust-1",
        "step": "stage_1",
        "trigger_event_id": "evt-cart-1",
        "channel": Channel.PUSH,
    }
    return SendRequest(**(fields | changes))


def contact(at: datetime, **changes: Any) -> ContactRecord:
    """An earlier send from another journey, answering its own event, opened by default so that
    only the tests about unopened messages see a silence."""
    fields: dict[str, Any] = {
        "at": at,
        "channel": Channel.PUSH,
        "journey": "browse_abandonment",
        "workflow_id": "browse_abandonment:cust-1",
        "step": "reminder",
        "status": MessageStatus.SENT,
        "trigger_event_id": f"evt-other-{next(_triggers)}",
        "opened": True,
    }
    return ContactRecord(**(fields | changes))
