"""The language journeys are written in. A definition is data: no I/O, no Temporal.

A journey starts on its `trigger` event (when every test in `trigger_when` holds for it), or on
a customer's entry into a segment (`trigger=segment_entered`, `trigger_segment=<segment>`); its
clock, the *anchor*, is the moment the trigger, or a later `restart_on` event, reached the
journey. An `exit_on` event ends it before its next step. Steps run in order unless one says
where to go next:

| step | what it does |
| --- | --- |
| `wait` | holds until `after` past the anchor |
| `wait_local_time` | holds until `at` o'clock local time, `days` calendar days after the anchor |
|  | (the next day's when that is already past) |
| `wait_until` | holds until a date taken from the trigger event, the profile or the facts, plus |
|  | `offset` (negative: before it), optionally moved to `at` o'clock local time that day |
| `wait_for_event` | holds until one of `events` arrives (go to `on_event`) or `timeout` passes |
| `branch` | goes where the first case whose condition holds on the customer's facts says |
|  | (intent segment, dormancy, consent, RFM top 20 %, profile attributes, profile tags) |
| `send` | asks the decision path for one message |
| `goto` | jumps to `to` (at most `times` times, then carries on: a loop) |
| `end` | ends the journey (the end of one path when several follow each other) |

A step says where to go with a *target*: another step's id, `"next"` or `"end"`.
An awaited event counts from the anchor on: if the customer already did it, the wait ends at once.
Step ids are part of each message's idempotency key and of the Temporal search attribute
`JourneyStep`: keep them stable when editing a journey.
"""

from datetime import time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dormancy.labels import DormancyReason, DormancyTier
from experiments.definitions import Experiment
from journeys.facts import DATE_FACTS, CustomerFacts
from models.channels import Channel
from models.events import EventType
from scoring.segments import IntentSegment

StepId = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,40}$")]
NEXT, END = "next", "end"
RESERVED_IDS = frozenset({NEXT, END})
Target = StepId  # a step id, NEXT or END
# "event.expires_at" (the anchor event's property), "profile.<attribute>", "facts.<date fact>".
DateRef = Annotated[str, Field(pattern=r"^(event|profile|facts)\.[a-z_][a-z0-9_]{0,63}$")]
Importance = Literal["normal", "important", "critical"]
GuardrailKind = Literal["standard", "winback", "high_value_cross_sell"]
Scalar = str | int | float | bool


class _Step(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: StepId

    def targets(self) -> tuple[str, ...]:
        """Where this step may send the walk (besides the next step)."""
        return ()


class Wait(_Step):
    kind: Literal["wait"] = "wait"
    after: timedelta = Field(ge=timedelta(0), description="how long after the anchor it ends")


class WaitLocalTime(_Step):
    kind: Literal["wait_local_time"] = "wait_local_time"
    days: int = Field(0, ge=0, description="calendar days after the anchor's (local) day")
    at: time = Field(description="local time of day, in the customer's time zone")


class WaitUntil(_Step):
    kind: Literal["wait_until"] = "wait_until"
    date: DateRef = Field(description="where the date comes from, e.g. event.expires_at")
    offset: timedelta = Field(timedelta(0), description="added to the date; negative: before it")
    at: time | None = Field(None, description="move to this local time of day on that date")
    if_missing: Target = Field(END, description="where to go when the date is absent or invalid")
    if_past: Target = Field(NEXT, description="where to go when the moment has already passed")

    def targets(self) -> tuple[str, ...]:
        return (self.if_missing, self.if_past)


class WaitForEvent(_Step):
    kind: Literal["wait_for_event"] = "wait_for_event"
    events: tuple[EventType, ...] = Field(min_length=1)
    timeout: timedelta = Field(gt=timedelta(0), description="from the moment the wait begins")
    on_event: Target = NEXT
    on_timeout: Target = NEXT

    def targets(self) -> tuple[str, ...]:
        return (self.on_event, self.on_timeout)


class Condition(BaseModel):
    """Holds when every test given holds; a test left out does not count. Unknown facts (a
    customer with no activity on record has no dormancy tier) fail the test that reads them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    segment: frozenset[IntentSegment] | None = None
    dormancy_tier: frozenset[DormancyTier] | None = None
    dormancy_reason: frozenset[DormancyReason] | None = None
    consent: Channel | None = Field(None, description="the customer consented to this channel")
    rfm_top20: bool | None = None
    attributes: dict[str, tuple[Scalar, ...]] | None = Field(
        None, description="profile attribute -> the values that pass"
    )
    tags: dict[str, tuple[Scalar, ...]] | None = Field(
        None, description="profile tag -> the values that pass (a flag tag's value is true)"
    )

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("a condition needs at least one test")
        return self

    def holds(self, facts: CustomerFacts) -> bool:
        if self.segment is not None and facts.segment not in self.segment:
            return False
        if self.dormancy_tier is not None and facts.dormancy_tier not in self.dormancy_tier:
            return False
        if self.dormancy_reason is not None and facts.dormancy_reason not in self.dormancy_reason:
            return False
        if self.consent is not None and not facts.consent.get(self.consent, False):
            return False
        if self.rfm_top20 is not None and facts.rfm_top20 != self.rfm_top20:
            return False
        if any(
            facts.tags.get(name) not in accepted for name, accepted in (self.tags or {}).items()
        ):
            return False
        return all(
            facts.attributes.get(name) in accepted
            for name, accepted in (self.attributes or {}).items()
        )


class Case(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    when: Condition
    goto: Target


class Branch(_Step):
    kind: Literal["branch"] = "branch"
    cases: tuple[Case, ...] = Field(min_length=1, description="the first that holds wins")
    otherwise: Target = NEXT

    def targets(self) -> tuple[str, ...]:
        return (*(case.goto for case in self.cases), self.otherwise)

    def choose(self, facts: CustomerFacts) -> str:
        return next((case.goto for case in self.cases if case.when.holds(facts)), self.otherwise)


class Goto(_Step):
    kind: Literal["goto"] = "goto"
    to: StepId
    times: int | None = Field(
        None, ge=1, description="how many times to jump, then carry on; None: every time"
    )

    def targets(self) -> tuple[str, ...]:
        return (self.to,)


class End(_Step):
    kind: Literal["end"] = "end"


OfferRule = Literal["fixed", "trigger_event", "expected_value"]

# The messages that carry picks (PRODUCT.md): browse abandonment, post-support with product
# retargeting, cross-sell and welcome. Not the cold customers' support guidance, which comes
# alone, nor early access, which is about new arrivals.
PICK_TEMPLATES = frozenset({"browse_abandonment", "post_support", "cross_sell", "welcome"})
NO_PICK_STEPS = frozenset({"guidance", "early_access"})


class Send(_Step):
    kind: Literal["send"] = "send"
    stage: int = Field(ge=1)
    template: str = Field(min_length=1, description="a template id of the content package")
    channels: tuple[Channel, ...] = Field(
        min_length=1, description="allowed channels, most preferred first"
    )
    importance: Importance = "normal"
    offer: str | None = Field(None, description="offer id from the offer catalogue")
    offer_rule: OfferRule = Field(
        "fixed",
        description="fixed: `offer` (or none); trigger_event: the trigger's offer_id and "
        "coupon_id (coupon_issued); expected_value: the offer allocator picks by expected value "
        "under the budget, non-monetary first for service-type dormancy",
    )
    discount: bool = Field(False, description="the message carries a discount")
    timing: Literal["exact", "active_window"] = Field(
        "exact",
        description="exact: as soon as the guardrails allow; active_window: wait for the "
        "customer's usual active hours (learned, 19:00-21:00 by default)",
    )
    deliver_within: timedelta | None = Field(
        None, gt=timedelta(0), description="worthless this long after the decision"
    )
    deliver_by: DateRef | None = Field(None, description="worthless after this date")
    experiment: Experiment | None = Field(
        None, description="an A/B/N test or bandit on this send (copy variant, offer, channel)"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.offer is not None and self.offer_rule != "fixed":
            raise ValueError(f"offer {self.offer!r} is set, so offer_rule must be 'fixed'")
        if self.deliver_within is not None and self.deliver_by is not None:
            raise ValueError("set deliver_within or deliver_by, not both")
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("channels must not repeat")
        if self.experiment is not None:
            if self.experiment.step != self.id:
                raise ValueError(
                    f"experiment {self.experiment.id!r} is for step {self.experiment.step!r}"
                )
            setting_picks = [arm.id for arm in self.experiment.arms if arm.picks is not None]
            if setting_picks and not self.carries_picks:
                # An arm's picks would be ignored and its results read as if they mattered.
                raise ValueError(
                    f"experiment {self.experiment.id!r}: arm {', '.join(setting_picks)} sets "
                    f"picks, but the message of step {self.id!r} (template {self.template!r}) "
                    "carries none"
                )
        return self

    @property
    def carries_picks(self) -> bool:
        """Whether this step's message shows recommendations."""
        return self.template in PICK_TEMPLATES and self.id not in NO_PICK_STEPS


Step = Annotated[
    Wait | WaitLocalTime | WaitUntil | WaitForEvent | Branch | Goto | End | Send,
    Field(discriminator="kind"),
]


class PropertyTest(BaseModel):
    """One test on a property of the trigger event: against a value, or another property."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    property: str = Field(min_length=1)
    op: Literal["lt", "le", "gt", "ge", "eq", "ne", "present"]
    value: Scalar | None = None
    than: str | None = Field(None, description="compare with this other property instead")

    @model_validator(mode="after")
    def _one_operand(self) -> Self:
        operands = (self.value is not None) + (self.than is not None)
        if self.op == "present" and operands:
            raise ValueError("'present' takes no value")
        if self.op != "present" and operands != 1:
            raise ValueError(f"{self.op!r} needs exactly one of value and than")
        return self

    def holds(self, properties: dict[str, Any]) -> bool:
        left = properties.get(self.property)
        if self.op == "present":
            return left is not None
        right = properties.get(self.than) if self.than is not None else self.value
        if left is None or right is None:
            return False
        if self.op in ("eq", "ne"):
            same = _comparable(left) == _comparable(right)
            return same if self.op == "eq" else not same
        a, b = _number(left), _number(right)
        if a is None or b is None:
            return False
        return {"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[self.op]


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _comparable(value: Any) -> Any:
    number = _number(value)
    return number if number is not None else value


class ReEntry(BaseModel):
    """Whether a customer who went through the journey may enter it again, and when."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    allowed: bool = True
    after: timedelta = Field(timedelta(0), ge=timedelta(0), description="since the last entry")


class JourneySpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str = Field(pattern=r"^[a-z_]{1,40}$", description="prefix of the workflow id")
    workflow_type: str = Field(
        pattern=r"^[A-Z][A-Za-z0-9]{1,60}$",
        description="the workflow type name shown in the Temporal UI",
    )
    version: int = Field(ge=1)
    trigger: EventType
    trigger_segment: str | None = Field(
        None,
        description="with trigger segment_entered: the segment whose entry starts the journey "
        "(profiles/segments.py)",
    )
    trigger_when: tuple[PropertyTest, ...] = Field((), description="all must hold to start")
    restart_on: tuple[EventType, ...] = ()
    exit_on: tuple[EventType, ...] = ()
    reentry: ReEntry = ReEntry()
    guardrail_kind: GuardrailKind = "standard"
    holdout: Experiment | None = Field(
        None, description="customers in its holdout walk the journey and are sent nothing"
    )
    facts_max_age: timedelta = Field(
        timedelta(hours=1), gt=timedelta(0), description="older facts are reloaded before use"
    )
    max_steps_per_run: int = Field(
        500, ge=4, description="steps in one workflow run before it continues as new"
    )
    steps: tuple[Step, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        ids = [step.id for step in self.steps]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"step ids must be unique within a journey: {', '.join(repeated)}")
        if reserved := sorted(RESERVED_IDS & set(ids)):
            raise ValueError(f"step ids {reserved} are reserved for targets")
        for step in self.steps:
            unknown = [t for t in step.targets() if t not in RESERVED_IDS and t not in ids]
            if unknown:
                raise ValueError(f"step {step.id!r} goes to unknown step(s): {unknown}")
            if isinstance(step, Goto) and step.to in RESERVED_IDS:
                raise ValueError(f"step {step.id!r}: goto needs a step id, not {step.to!r}")
            if (
                isinstance(step, Goto)
                and step.times is None
                and ids.index(step.to) <= ids.index(step.id)
            ):
                raise ValueError(f"step {step.id!r}: a goto back needs `times` (a loop must end)")
            for ref in _date_refs(step):
                source, name = ref.split(".", 1)
                if source == "facts" and name not in DATE_FACTS:
                    known = ", ".join(sorted(DATE_FACTS))
                    raise ValueError(f"step {step.id!r}: no date fact {name!r} (known: {known})")
        if (self.trigger == EventType.SEGMENT_ENTERED) != (self.trigger_segment is not None):
            raise ValueError("trigger_segment goes with trigger segment_entered, and only with it")
        if self.trigger in self.exit_on:
            raise ValueError("the trigger cannot also be an exit event")
        if overlap := sorted(set(self.restart_on) & set(self.exit_on)):
            raise ValueError(f"events both restart and exit the journey: {overlap}")
        if self.holdout is not None and self.holdout.journey != self.kind:
            raise ValueError(f"holdout experiment is for journey {self.holdout.journey!r}")
        return self

    def workflow_id(self, customer_id: str) -> str:
        return f"{self.kind}:{customer_id}"

    def starts_on(self, event_type: EventType, properties: dict[str, Any]) -> bool:
        if self.trigger_segment is not None and properties.get("segment") != self.trigger_segment:
            return False
        return event_type == self.trigger and all(t.holds(properties) for t in self.trigger_when)

    def listens_to(self) -> frozenset[EventType]:
        """Events a running journey must hear besides its trigger: restarts, exits, awaited."""
        awaited = (e for step in self.steps if isinstance(step, WaitForEvent) for e in step.events)
        return frozenset((*self.restart_on, *self.exit_on, *awaited))

    def index(self, step_id: str) -> int:
        return next(i for i, step in enumerate(self.steps) if step.id == step_id)

    def profile_attributes(self) -> tuple[str, ...]:
        """The profile attributes the walk reads (branch conditions, `profile.` dates): the only
        ones its facts carry, so that names and the like never reach the workflow's history."""
        names = {
            name
            for step in self.steps
            if isinstance(step, Branch)
            for case in step.cases
            for name in case.when.attributes or {}
        }
        for step in self.steps:
            for ref in _date_refs(step):
                source, name = ref.split(".", 1)
                if source == "profile":
                    names.add(name)
        return tuple(sorted(names))

    def sends_in_active_window(self) -> bool:
        """Whether a send waits for the customer's active window (its facts then learn it)."""
        return any(isinstance(step, Send) and step.timing == "active_window" for step in self.steps)


def _date_refs(step: _Step) -> list[str]:
    if isinstance(step, WaitUntil):
        return [step.date]
    if isinstance(step, Send) and step.deliver_by is not None:
        return [step.deliver_by]
    return []
