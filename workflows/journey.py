"""The journey interpreter: walks any journey definition with durable timers and signals.

Every business event reaches a journey as a signal named after its type, carrying the `Event`;
the event that starts a run comes in its input instead and is taken as its first signal.
The walk is deterministic: time comes from `workflow.now()`, and each send is two activities
(decide and record, then deliver) keyed by `<workflow id>:<anchor event id>:<step id>` (with
`:<visit>` from a step's second visit in a loop), so a retry or replay never produces a second
message.

A run admits its customer (the journey's re-entry rule), assigns the holdout, loads the customer's
facts, then walks the steps; facts older than the definition's `facts_max_age` are reloaded
before a branch, a local-time or date wait and a send. A long walk continues as new every
`max_steps_per_run` steps (or when Temporal suggests it), carrying its state and pending signals.

Runs that started before entry rules, facts and the richer steps existed (only `wait` and `send`)
replay as they ran: everything they never did is behind `workflow.patched(INTERPRETER_V2)`.
Runs from before `INTERPRETER_V3` read entry and facts in activities of their own and took two
activities per send; newer runs read them in local activities (cheap reads in the worker, no
round trip through the server) and send in one activity. From `INTERPRETER_V4` on a run checks
that one patch instead of two, admits its customer and reads the first facts in one local
activity, and upserts a changed segment with the next step (or before the next wait) instead of
on its own: each history event costs the server a write. Each run decides once, at its start.
"""

from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any, NoReturn, TypeVar

from temporalio import workflow
from temporalio.common import RawValue, SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.facts import JourneyFactsActivities
    from experiments.assignment import assign
    from journeys.facts import CustomerFacts
    from journeys.registry import JOURNEYS
    from journeys.runs import (
        AdmissionRequest,
        EndJourney,
        EntryRequest,
        FactsRequest,
        JourneyCarry,
        JourneyInput,
        JourneyState,
        PrepareMessage,
    )
    from journeys.spec import (
        END,
        NEXT,
        Branch,
        End,
        Goto,
        Send,
        Step,
        Wait,
        WaitForEvent,
        WaitLocalTime,
        WaitUntil,
    )
    from journeys.timing import date_deadline, local_time_deadline, resolve_date
    from models.events import Event, EventType
    from models.search_attributes import INTENT_SEGMENT, JOURNEY_STEP
    from workflows.sending import ACTIVITY_RETRY, send_message

ReadRequest = TypeVar("ReadRequest")
ReadResult = TypeVar("ReadResult")
INTERPRETER_V2 = "journey-interpreter-v2"
INTERPRETER_V3 = "journey-interpreter-v3"
INTERPRETER_V4 = "journey-interpreter-v4"
SEEN_EVENT_IDS_KEPT = 1000
WINBACK_TIERS = ("light", "medium", "heavy")
ACTIVITY_TIMEOUT = timedelta(seconds=30)


# Runs any definition under a type of its own: the simulator's way to try a journey that is not
# in the registry yet.
DRAFT_WORKFLOW_TYPE = "DraftJourney"
# Each journey kind runs under a workflow type of its own, so the Temporal UI can filter by it.
JOURNEY_WORKFLOW_TYPES = (*(journey.workflow_type for journey in JOURNEYS), DRAFT_WORKFLOW_TYPE)


@workflow.defn(dynamic=True)
class JourneyWorkflow:
    """The interpreter, registered once for every journey's workflow type.

    One dynamic definition rather than a class per type: the sandbox re-imports this module for
    every run it starts, and defining a dozen workflow classes there cost more than the rest of a
    run's first workflow task.
    """

    @workflow.init
    def __init__(self, args: Sequence[RawValue]) -> None:
        input = workflow.payload_converter().from_payload(args[0].payload, JourneyInput)
        self._input = input
        self._spec = input.spec
        carry = input.carry
        self._state = (
            carry.state
            if carry
            else JourneyState(
                journey=input.spec.kind, customer_id=input.customer_id, version=input.spec.version
            )
        )
        self._inbox: list[Event] = list(carry.inbox) if carry else []
        # Awaited events kept from the anchor on, for the `wait_for_event` steps ahead.
        self._awaited: list[Event] = list(carry.awaited) if carry else []
        # An ordered set: the newest ids are the ones carried over a continue-as-new.
        self._seen_event_ids: dict[str, None] = dict.fromkeys(carry.seen_event_ids if carry else [])
        self._visits: dict[str, int] = dict(carry.visits) if carry else {}
        self._facts: CustomerFacts | None = carry.facts if carry else None
        self._facts_at: datetime | None = carry.facts_at if carry else None
        self._experiment_id: str | None = carry.experiment_id if carry else None
        self._v2 = carry is not None
        self._v3 = False
        self._v4 = False
        self._segment_published: str | None = None  # from V4 on: _unpublished_segment
        self._steps_this_run = 0
        self._end_reason: str | None = None  # set by the `end` update
        if input.trigger is not None and carry is None:
            self._receive(input.trigger)

    @workflow.signal(dynamic=True)
    def on_event(self, name: str, args: Sequence[RawValue]) -> None:
        self._receive(workflow.payload_converter().from_payload(args[0].payload, Event))

    def _receive(self, event: Event) -> None:
        if event.event_id in self._seen_event_ids:
            return  # the API routes an event at least once; a journey acts on it once
        self._seen_event_ids[event.event_id] = None
        self._inbox.append(event)

    @workflow.query
    def state(self) -> JourneyState:
        return self._state

    @workflow.update
    def end(self, request: EndJourney) -> JourneyState:
        """End the journey before its next step (an operator's decision, e.g. after a complaint);
        a send already being decided finishes first."""
        self._end_reason = request.reason
        return self._state

    @end.validator
    def _may_end(self, request: EndJourney) -> None:
        if self._state.status != "running" or self._end_reason is not None:
            raise ValueError(f"the journey is already {self._state.status}")

    @workflow.run
    async def run(self, args: Sequence[RawValue]) -> JourneyState:
        workflow_type = workflow.info().workflow_type
        if workflow_type not in JOURNEY_WORKFLOW_TYPES:
            raise ApplicationError(
                f"no journey runs as {workflow_type!r}", type="UnknownJourney", non_retryable=True
            )
        return await self._walk(self._input)

    async def _walk(self, input: JourneyInput) -> JourneyState:
        if input.carry is not None:
            self._state.runs += 1
            carry = input.carry
            self._v4 = workflow.patched(INTERPRETER_V4)
            self._v3 = self._v4 or workflow.patched(INTERPRETER_V3)
            return await self._walk_from(carry.anchor, carry.anchor_at, carry.position)
        await workflow.wait_condition(self._woken)
        if self._end_reason is not None:
            return self._finish("ended")
        # A new run records V4 alone; a run from before it replays the patches it recorded.
        self._v4 = workflow.patched(INTERPRETER_V4)
        self._v2 = self._v4 or workflow.patched(INTERPRETER_V2)
        self._v3 = self._v4 or workflow.patched(INTERPRETER_V3)
        anchor = self._take_inbox(starting=True)
        if anchor is None:  # woken by an event that neither starts nor restarts this journey
            return self._finish("completed")
        anchor_at = workflow.now()
        if self._v2:
            self._state.entered_at = anchor_at
            if self._state.exit_event_id is not None:
                return self._finish("exited")
            if not await self._admit(anchor):
                return self._finish("not_eligible")
        return await self._walk_from(anchor, anchor_at, 0)

    async def _walk_from(self, anchor: Event, anchor_at: datetime, position: int) -> JourneyState:
        steps = self._spec.steps
        fresh, step_started_at = True, workflow.now()
        if self._v2 and self._inbox:
            # Events that came in during admission, or were carried over from the previous run,
            # change the course before the first step (later ones are seen after each step).
            newer = self._take_inbox()
            if self._state.exit_event_id is not None:
                return self._finish("exited")
            if newer is not None:
                anchor, anchor_at, position = newer, workflow.now(), 0
                self._forget_walk()
        while position < len(steps):
            step = steps[position]
            if fresh:
                if self._v2 and self._run_is_long():
                    await workflow.wait_condition(workflow.all_handlers_finished)
                    if self._end_reason is not None:  # ended while the handlers finished
                        return self._finish("ended")
                    self._continue_as_new(anchor, anchor_at, position)
                self._steps_this_run += 1
                self._visits[step.id] = self._visits.get(step.id, 0) + 1
                step_started_at = workflow.now()
            self._enter(step.id)
            target = await self._run(step, anchor, anchor_at, step_started_at)
            if self._end_reason is not None:
                return self._finish("ended")
            if self._inbox:
                newer = self._take_inbox()
                if self._state.exit_event_id is not None:
                    return self._finish("exited")
                if newer is not None:
                    anchor, anchor_at, position, fresh = newer, workflow.now(), 0, True
                    self._forget_walk()
                    continue
            if target is None:  # woken before the step was over: carry on with it
                fresh = False
                continue
            if target == END:
                return self._finish("completed")
            position = position + 1 if target == NEXT else self._spec.index(target)
            fresh = True
        return self._finish("completed")

    def _forget_walk(self) -> None:
        """A restart walks the steps again from a new anchor: loops count from zero, awaited
        events count from the new anchor, facts are read again (it may change them)."""
        self._visits.clear()
        self._awaited.clear()
        self._facts_at = None

    async def _run(
        self, step: Step, anchor: Event, anchor_at: datetime, started_at: datetime
    ) -> str | None:
        """Run one step; returns where to go (a step id, NEXT or END), None if not over yet."""
        if isinstance(step, Wait):
            return await self._hold_until(anchor_at + step.after)
        if isinstance(step, WaitLocalTime):
            facts = await self._fresh_facts(anchor)
            return await self._hold_until(local_time_deadline(step, anchor_at, facts))
        if isinstance(step, WaitUntil):
            facts = await self._fresh_facts(anchor)
            deadline = date_deadline(step, anchor, facts)
            if deadline is None:
                return step.if_missing
            if deadline <= started_at:
                return step.if_past
            return await self._hold_until(deadline)
        if isinstance(step, WaitForEvent):
            if self._take_awaited(step.events):
                return step.on_event
            over = await self._hold_until(started_at + step.timeout)
            return None if over is None else step.on_timeout
        if isinstance(step, Branch):
            return step.choose(await self._fresh_facts(anchor))
        if isinstance(step, Goto):
            jumps_left = step.times is None or self._visits[step.id] <= step.times
            return step.to if jumps_left else NEXT
        if isinstance(step, End):
            return END
        await self._send(step, anchor)
        return NEXT

    async def _hold_until(self, deadline: datetime) -> str | None:
        """Wait for the deadline or an event, whichever comes first; NEXT once it has passed."""
        self._state.next_wake_at = deadline
        timeout = deadline - workflow.now()
        if timeout > timedelta(0):
            self._publish_segment()
            with suppress(TimeoutError):  # the timer fired: the wait is over
                await workflow.wait_condition(self._woken, timeout=timeout)
        self._state.next_wake_at = None
        return NEXT if workflow.now() >= deadline else None

    def _take_inbox(self, starting: bool = False) -> Event | None:
        """Drain pending events; return the newest (re)starting event, note an exit, keep the
        awaited ones."""
        awaited = {
            e for step in self._spec.steps if isinstance(step, WaitForEvent) for e in step.events
        }
        anchor = None
        for event in self._inbox:
            if event.type in self._spec.exit_on:
                self._state.exit_event_id = event.event_id
            elif self._restarts(event.type) or (starting and event.type == self._spec.trigger):
                anchor = event
            elif event.type in awaited:
                self._awaited.append(event)
        self._inbox.clear()
        if anchor is not None:
            self._state.anchor_event_id = anchor.event_id
        return anchor

    def _restarts(self, event_type: EventType) -> bool:
        # Runs from before INTERPRETER_V2 restarted on their trigger too (all of them were cart
        # abandonment, whose trigger is also its restart event).
        legacy_trigger = not self._v2 and event_type == self._spec.trigger
        return legacy_trigger or event_type in self._spec.restart_on

    def _take_awaited(self, types: tuple[EventType, ...]) -> Event | None:
        found = next((event for event in self._awaited if event.type in types), None)
        if found is not None:
            self._awaited.remove(found)
        return found

    def _woken(self) -> bool:
        return bool(self._inbox) or self._end_reason is not None

    def _restart_or_exit_pending(self) -> bool:
        """Whether the journey is to end, or an event waiting in the inbox would end or restart
        it."""
        return self._end_reason is not None or any(
            self._restarts(event.type) or event.type in self._spec.exit_on for event in self._inbox
        )

    async def _admit(self, anchor: Event) -> bool:
        """The re-entry rule, then the holdout and the first facts; False: not admitted."""
        info = workflow.info()
        entry_request = EntryRequest(
            customer_id=self._state.customer_id,
            journey=self._spec.kind,
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            trigger_event_id=anchor.event_id,
            entered_at=workflow.now(),
            reentry=self._spec.reentry,
        )
        if self._v4:
            facts_request = self._facts_request(anchor)
            admission = await self._read(
                JourneyFactsActivities.admit,
                AdmissionRequest(entry=entry_request, facts=facts_request),
            )
            entry = admission.entry
            if admission.facts is not None:
                self._take_facts(facts_request.now, admission.facts)
        else:
            entry = await self._read(JourneyFactsActivities.enter_journey, entry_request)
        if not entry.allowed:
            self._state.ended_reason = entry.reason
            return False
        if self._spec.holdout is not None:
            # A pure hash of experiment and customer: the same answer on replay and in reports.
            assignment = assign(self._spec.holdout, self._state.customer_id)
            self._state.holdout = assignment.in_holdout
            self._experiment_id = self._spec.holdout.id
        if self._facts is None:  # before V4, a read of its own
            await self._load_facts(anchor)
        return True

    async def _fresh_facts(self, anchor: Event) -> CustomerFacts:
        now = workflow.now()
        if (
            self._facts is None
            or self._facts_at is None
            or now - self._facts_at >= self._spec.facts_max_age
        ):
            await self._load_facts(anchor)
        assert self._facts is not None
        return self._facts

    def _facts_request(self, anchor: Event) -> FactsRequest:
        return FactsRequest(
            customer_id=self._state.customer_id,
            now=workflow.now(),
            trigger=anchor,
            send_window=self._spec.sends_in_active_window(),
            attributes=self._spec.profile_attributes(),
        )

    async def _load_facts(self, anchor: Event) -> None:
        request = self._facts_request(anchor)
        self._take_facts(
            request.now, await self._read(JourneyFactsActivities.customer_facts, request)
        )

    def _take_facts(self, at: datetime, facts: CustomerFacts) -> None:
        self._facts_at, self._facts = at, facts
        segment = facts.segment.value if facts.segment else None
        if segment is not None and segment != self._state.segment:
            self._state.segment = segment
            if not self._v4:  # from V4 on it goes with the next upsert (_enter)
                workflow.upsert_search_attributes([INTENT_SEGMENT.value_set(segment)])

    async def _read(
        self,
        activity: Callable[[Any, ReadRequest], Awaitable[ReadResult]],
        request: ReadRequest,
    ) -> ReadResult:
        """Run one of the journey's database reads (entry, facts): a local activity from
        INTERPRETER_V3 on, a plain one before it."""
        if self._v3:
            return await workflow.execute_local_activity_method(
                activity,
                request,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
        return await workflow.execute_activity_method(
            activity, request, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY
        )

    def _enter(self, step_id: str) -> None:
        self._state.step = step_id
        workflow.upsert_search_attributes(
            [JOURNEY_STEP.value_set(step_id), *self._unpublished_segment()]
        )

    def _publish_segment(self) -> None:
        """Before the journey waits: the segment if facts read during this step changed it."""
        if update := self._unpublished_segment():
            workflow.upsert_search_attributes(update)

    def _unpublished_segment(self) -> list[SearchAttributeUpdate[str]]:
        segment = self._state.segment
        if not self._v4 or segment is None or segment == self._segment_published:
            return []
        self._segment_published = segment
        return [INTENT_SEGMENT.value_set(segment)]

    async def _send(self, step: Send, anchor: Event) -> None:
        workflow_id = workflow.info().workflow_id
        key = f"{workflow_id}:{anchor.event_id}:{step.id}"
        visit = self._visits.get(step.id, 1)
        if visit > 1:
            # A loop's later rounds are messages of their own: the ledger, and the guardrails'
            # one-message-per-step-and-trigger rule, tell them apart by the round in the id.
            key, step = f"{key}:{visit}", step.model_copy(update={"id": f"{step.id}_{visit}"})
        request = PrepareMessage(
            idempotency_key=key,
            customer_id=self._state.customer_id,
            journey=self._spec.kind,
            workflow_id=workflow_id,
            step=step,
            trigger_event=anchor,
            decided_at=workflow.now(),
        )
        if self._v2:
            request = self._with_journey_context(request, await self._fresh_facts(anchor))
        self._publish_segment()
        decision = await send_message(request, self._restart_or_exit_pending, one_activity=self._v3)
        self._state.messages.append(decision)

    def _with_journey_context(
        self, request: PrepareMessage, facts: CustomerFacts
    ) -> PrepareMessage:
        """What the decision path needs to know beyond the step: offer, cart, tier, deadline."""
        step, anchor = request.step, request.trigger_event
        winback = self._spec.guardrail_kind == "winback"
        tier = facts.dormancy_tier.value if facts.dormancy_tier else None
        deliver_by = None
        if step.deliver_within is not None:
            deliver_by = request.decided_at + step.deliver_within
        elif step.deliver_by is not None:
            deliver_by = resolve_date(step.deliver_by, anchor, facts)
        from_trigger = step.offer_rule == "trigger_event"
        return request.model_copy(
            update={
                "guardrail_kind": self._spec.guardrail_kind,
                # A winback send of unknown tier is capped as the strictest tier.
                "winback_tier": (tier if tier in WINBACK_TIERS else "heavy") if winback else None,
                "winback_reason": facts.dormancy_reason.value
                if winback and facts.dormancy_reason
                else None,
                "deliver_by": deliver_by,
                "holdout": self._state.holdout,
                "offer_id": anchor.properties.get("offer_id") if from_trigger else step.offer,
                "coupon_id": anchor.properties.get("coupon_id") if from_trigger else None,
                "cart_id": anchor.properties.get("cart_id"),
                "segment": facts.segment.value if facts.segment else None,
                "send_window": facts.send_window,
                "experiment_id": self._experiment_id,
            }
        )

    def _run_is_long(self) -> bool:
        return (
            self._steps_this_run >= self._spec.max_steps_per_run
            or workflow.info().is_continue_as_new_suggested()
        )

    def _continue_as_new(self, anchor: Event, anchor_at: datetime, position: int) -> NoReturn:
        """Hand the walk to a fresh run (call once every handler has finished): state, facts and
        the signals not yet handled go along."""
        workflow.continue_as_new(
            JourneyInput(
                spec=self._spec,
                customer_id=self._state.customer_id,
                carry=JourneyCarry(
                    state=self._state,
                    anchor=anchor,
                    anchor_at=anchor_at,
                    position=position,
                    visits=self._visits,
                    facts=self._facts,
                    facts_at=self._facts_at,
                    experiment_id=self._experiment_id,
                    inbox=self._inbox,
                    awaited=self._awaited,
                    seen_event_ids=list(self._seen_event_ids)[-SEEN_EVENT_IDS_KEPT:],
                ),
            )
        )

    def _finish(self, status: str) -> JourneyState:
        self._state.status = status
        if status == "ended":
            self._state.ended_reason = self._end_reason
        self._enter(status)
        return self._state
