"""The journey interpreter: walks any journey definition with durable timers and signals.

Every business event reaches a journey as a signal named after its type, carrying the `Event`.
The walk is deterministic: time comes from `workflow.now()`, and each send is two activities
(decide and record, then deliver) keyed by `<workflow id>:<anchor event id>:<step id>`, so a
retry or replay never produces a second message.
"""

from collections.abc import Sequence
from contextlib import suppress
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RawValue

with workflow.unsafe.imports_passed_through():
    from journeys.spec import Send, Wait
    from models.events import Event
    from models.journey_runs import JourneyInput, JourneyState, PrepareMessage
    from models.search_attributes import JOURNEY_STEP
    from workflows.sending import send_message


class JourneyWorkflow:
    """The shared interpreter; each journey kind is a subclass with its own workflow type name."""

    @workflow.init
    def __init__(self, input: JourneyInput) -> None:
        self._spec = input.spec
        self._state = JourneyState(journey=input.spec.kind, customer_id=input.customer_id)
        self._inbox: list[Event] = []
        self._seen_event_ids: set[str] = set()

    @workflow.signal(dynamic=True)
    def on_event(self, name: str, args: Sequence[RawValue]) -> None:
        event = workflow.payload_converter().from_payload(args[0].payload, Event)
        if event.event_id in self._seen_event_ids:
            return  # the API routes an event at least once; a journey acts on it once
        self._seen_event_ids.add(event.event_id)
        self._inbox.append(event)

    @workflow.query
    def state(self) -> JourneyState:
        return self._state

    async def walk(self) -> JourneyState:
        await workflow.wait_condition(lambda: bool(self._inbox))
        anchor = self._take_inbox()
        if anchor is None:  # woken by an event that neither starts nor restarts this journey
            return self._finish("completed")
        anchor_at = workflow.now()
        position = 0
        while position < len(self._spec.steps):
            step = self._spec.steps[position]
            self._enter(step.id)
            if isinstance(step, Wait):
                deadline = anchor_at + step.after
                self._state.next_wake_at = deadline
                timeout = deadline - workflow.now()
                if timeout > timedelta(0):
                    with suppress(TimeoutError):  # the timer fired: the wait is over
                        await workflow.wait_condition(lambda: bool(self._inbox), timeout=timeout)
                self._state.next_wake_at = None
            else:
                await self._send(step, anchor)
            if self._inbox:
                newer = self._take_inbox()
                if self._state.exit_event_id is not None:
                    return self._finish("exited")
                if newer is not None:
                    anchor, anchor_at, position = newer, workflow.now(), 0
                    continue
            if isinstance(step, Send) or workflow.now() >= anchor_at + step.after:
                position += 1
        return self._finish("completed")

    def _take_inbox(self) -> Event | None:
        """Drain pending events; return the newest (re)starting event, note an exit."""
        anchor = None
        for event in self._inbox:
            if event.type in self._spec.exit_on:
                self._state.exit_event_id = event.event_id
            elif event.type == self._spec.trigger or event.type in self._spec.restart_on:
                anchor = event
        self._inbox.clear()
        if anchor is not None:
            self._state.anchor_event_id = anchor.event_id
        return anchor

    def _enter(self, step_id: str) -> None:
        self._state.step = step_id
        workflow.upsert_search_attributes([JOURNEY_STEP.value_set(step_id)])

    async def _send(self, step: Send, trigger: Event) -> None:
        workflow_id = workflow.info().workflow_id
        decision = await send_message(
            PrepareMessage(
                idempotency_key=f"{workflow_id}:{trigger.event_id}:{step.id}",
                customer_id=self._state.customer_id,
                journey=self._spec.kind,
                workflow_id=workflow_id,
                step=step,
                trigger_event=trigger,
                decided_at=workflow.now(),
            )
        )
        self._state.messages.append(decision)

    def _finish(self, status: str) -> JourneyState:
        self._state.status = status
        self._enter(status)
        return self._state


@workflow.defn(name="CartAbandonment")
class CartAbandonmentWorkflow(JourneyWorkflow):
    @workflow.run
    async def run(self, input: JourneyInput) -> JourneyState:
        return await self.walk()


JOURNEY_WORKFLOWS = (CartAbandonmentWorkflow,)
