"""What flows between the API, the journey workflow and its activities."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from journeys.facts import CustomerFacts
from journeys.spec import GuardrailKind, JourneySpec, ReEntry, Send
from models.channels import Channel
from models.events import Event
from models.messages import MessageDecision
from scoring.send_time import SendWindow


class JourneyState(BaseModel):
    """What the `state` query answers and the run returns."""

    journey: str
    customer_id: str
    version: int | None = Field(None, description="of the definition this journey walks")
    status: str = "running"  # running | completed | exited | not_eligible | ended
    step: str = "waiting_for_trigger"
    next_wake_at: datetime | None = None
    anchor_event_id: str | None = None
    exit_event_id: str | None = None
    messages: list[MessageDecision] = []
    entered_at: datetime | None = Field(None, description="when the trigger reached the journey")
    segment: str | None = Field(None, description="intent segment at the latest facts")
    holdout: bool = Field(False, description="in the journey's holdout: nothing is delivered")
    runs: int = Field(1, description="workflow runs so far (continue-as-new starts another)")
    ended_reason: str | None = Field(
        None, description="why a not_eligible journey did not run, or why it was ended"
    )


class EndJourney(BaseModel):
    """The `end` update: stop a running journey before its next step."""

    reason: str = Field(min_length=1, max_length=200)


class JourneyCarry(BaseModel):
    """What one run hands the next when the journey continues as new: where the walk stands and
    the signals not yet handled."""

    state: JourneyState
    anchor: Event
    anchor_at: datetime
    position: int
    visits: dict[str, int]
    facts: CustomerFacts | None
    facts_at: datetime | None
    experiment_id: str | None
    inbox: list[Event]
    awaited: list[Event]
    seen_event_ids: list[str]


class JourneyInput(BaseModel):
    """The workflow input. The definition is copied in: editing a journey changes new runs only."""

    spec: JourneySpec
    customer_id: str
    carry: JourneyCarry | None = Field(None, description="set when a run continues as new")
    trigger: Event | None = Field(
        None,
        description="the event that started the run, handled as its first signal (runs started "
        "by signal-with-start, before routing/ started them plainly, have none)",
    )


class PrepareMessage(BaseModel):
    """Decide one send: everything the activity needs, with `decided_at` taken from the workflow.

    `step` is the definition's step, except that from its second visit in a loop (winback's
    rounds) its id carries the visit, `light_price_2`: a round is a message of its own for the
    ledger and for the one-message-per-step-and-trigger rule. The idempotency key then ends in
    `:<visit>`.
    """

    idempotency_key: str
    customer_id: str
    journey: str
    workflow_id: str
    step: Send
    trigger_event: Event
    decided_at: datetime
    attempt: int = Field(1, description="1, then 2, 3... for fresh decisions after a deferral")
    guardrail_kind: GuardrailKind = "standard"
    winback_tier: Literal["light", "medium", "heavy"] | None = None
    winback_reason: Literal["price", "category", "service"] | None = None
    deliver_by: datetime | None = Field(None, description="too late to send after this")
    holdout: bool = Field(False, description="record the would-be send, deliver nothing")
    offer_id: str | None = Field(
        None,
        description="the offer this send carries, resolved by the journey: the step's fixed "
        "offer or the trigger's offer_id; None with step.offer_rule 'expected_value' means the "
        "offer allocator picks one",
    )
    coupon_id: str | None = Field(None, description="the issued coupon the message is about")
    cart_id: str | None = Field(None, description="the cart of the trigger event, if any")
    segment: Literal["cold", "warm", "hot"] | None = Field(
        None,
        description="intent segment the journey branched on (facts at most facts_max_age old): "
        "the one the decision, the experiment arm and the copy use; scored at the decision "
        "only when None",
    )
    send_window: SendWindow | None = Field(
        None, description="the customer's learnt active window, from the same facts"
    )
    experiment_id: str | None = Field(None, description="the holdout experiment, if any")

    @property
    def attempt_key(self) -> str:
        """The idempotency key of this attempt: every fresh decision is its own ledger row."""
        return (
            self.idempotency_key if self.attempt == 1 else f"{self.idempotency_key}#{self.attempt}"
        )


class DeliverMessage(BaseModel):
    message_id: str
    channel: Channel | None = Field(
        None,
        description="the channel the message was just decided on, when the caller knows it "
        "(delivery then starts without reading the row to learn it)",
    )
    fallback_channels: tuple[Channel, ...] = Field(
        (),
        description="where the message goes, in order, if its channel refuses it for good "
        "(invalid address, blocked number): the step's channels that passed consent, address "
        "and guardrails after the chosen one",
    )


class FactsRequest(BaseModel):
    customer_id: str
    now: datetime = Field(description="the workflow's time: facts as of this moment")
    trigger: Event | None = Field(None, description="customer_dormant may carry tier and reason")
    send_window: bool = Field(False, description="learn the customer's active window")
    attributes: tuple[str, ...] | None = Field(
        None,
        description="the profile attributes to return (JourneySpec.profile_attributes); None, "
        "from runs that asked before this existed: all of them",
    )


class EntryRequest(BaseModel):
    """May this customer enter the journey now? Recorded under the run that asks, if so."""

    customer_id: str
    journey: str
    workflow_id: str
    run_id: str
    trigger_event_id: str
    entered_at: datetime
    reentry: ReEntry


class EntryDecision(BaseModel):
    allowed: bool
    # first_entry | reentry_allowed | recorded (a retry of the check) | already_entered |
    # reentry_too_soon
    reason: str
    previous_entry_at: datetime | None = None


class AdmissionRequest(BaseModel):
    """A run's first read: the entry rule, then the customer's facts if they may enter."""

    entry: EntryRequest
    facts: FactsRequest


class Admission(BaseModel):
    entry: EntryDecision
    facts: CustomerFacts | None = Field(None, description="None when the entry is refused")
