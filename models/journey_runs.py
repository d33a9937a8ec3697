"""What flows between the API, the journey workflow and its activities."""

from datetime import datetime

from pydantic import BaseModel

from journeys.spec import JourneySpec, Send
from models.events import Event
from models.messages import MessageDecision


class JourneyInput(BaseModel):
    """The workflow input. The definition is copied in: editing a journey changes new runs only."""

    spec: JourneySpec
    customer_id: str


class JourneyState(BaseModel):
    """What the `state` query answers and the run returns."""

    journey: str
    customer_id: str
    status: str = "running"  # running | completed | exited
    step: str = "waiting_for_trigger"
    next_wake_at: datetime | None = None
    anchor_event_id: str | None = None
    exit_event_id: str | None = None
    messages: list[MessageDecision] = []


class PrepareMessage(BaseModel):
    """Decide one send: everything the activity needs, with `decided_at` taken from the workflow."""

    idempotency_key: str
    customer_id: str
    journey: str
    workflow_id: str
    step: Send
    trigger_event: Event
    decided_at: datetime


class DeliverMessage(BaseModel):
    message_id: str
