"""A welcome's send as the benches make it, and a workflow that runs one send and nothing else.

In a module of its own (not a script's __main__) so the workflow sandbox can import it.
"""

import uuid
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from journeys.runs import PrepareMessage
    from journeys.spec import Send
    from journeys.welcome import WELCOME
    from models.events import Event, EventType
    from scoring.send_time import SendWindow
    from workflows.sending import send_message

STEP = next(s for s in WELCOME.steps if isinstance(s, Send))


def welcome_request(customer_id: str, now: datetime, window: SendWindow | None) -> PrepareMessage:
    """The welcome's first send for a customer who just signed up, with the facts a journey
    brings (the segment and the send window), so the send path scores nothing itself."""
    event = Event(
        event_id=uuid.uuid4().hex,
        customer_id=customer_id,
        type=EventType.SIGNUP,
        occurred_at=now,
        properties={},
    )
    workflow_id = f"welcome:{customer_id}"
    return PrepareMessage(
        idempotency_key=f"{workflow_id}:{event.event_id}:{STEP.id}",
        customer_id=customer_id,
        journey="welcome",
        workflow_id=workflow_id,
        step=STEP,
        trigger_event=event,
        decided_at=now,
        segment="warm",  # as the journey's facts bring it
        send_window=window,  # likewise (the default window: the customer has no activity)
    )


@workflow.defn
class OneSend:
    """The send path alone in a workflow: `send_message` as a journey's send step runs it (one
    `decide_and_deliver` activity), without the journey around it (its start by signal, its
    entry and facts reads, its visibility updates, its timer for the next step)."""

    @workflow.run
    async def run(self, request: PrepareMessage) -> str:
        request = request.model_copy(update={"decided_at": workflow.now()})
        decision = await send_message(request, lambda: False, one_activity=True)
        return decision.status.value
