"""The decision point every send passes through: send (on which channel), defer, or suppress.

One database transaction per decision, serialised per customer, of three statements: the lock
(an UPDATE of the customer's row that returns it, and whether an order paid the trigger's cart),
one read of the contact history the guardrails look at, and the ledger row with the decision and
its reason — so two journeys racing for a customer's last daily slot cannot both win. A step with
an experiment also reads its arms' state; a winback whose offer is chosen by expected value, or a
send whose journey brought no segment or send window, also reads the customer's events. A retry
finds its earlier decision in the history it reads under the lock, and returns it.

The segment is the one the journey's facts computed (`PrepareMessage.segment`): the experiment's
arm, the channels, the copy and the audit row all use it. It is scored here only for a request
that carries none (runs from before facts existed, direct callers).
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import guardrails
from channels.choice import addressable_channels
from dormancy.settings import DormancySettings
from experiments.assignment import HOLDOUT_ARM, assign
from experiments.bandit import choose_arm, initial_posteriors
from experiments.definitions import Arm, Experiment
from experiments.definitions import SendWindow as ArmWindow
from journeys.runs import PrepareMessage
from models.behaviour import BehaviourEvent, OrderSummary
from models.channels import Channel
from models.customers import Customer
from models.events import EventType
from models.messages import MessageDecision, MessageStatus
from offers.settings import OfferSettings
from scoring.channel_preference import ChannelResponse, rank_channels, sms_allowed
from scoring.intent import score_customer
from scoring.model import IntentModel
from scoring.segments import IntentSegment
from scoring.send_time import SendWindow, activity_times, learn_send_window, next_send_time
from scoring.settings import ScoringSettings
from sending.winback_offer import OfferBook, winback_offer
from storage.behaviour import behaviour
from storage.customers import lock_for_decision, to_customer
from storage.database import Executor, engine_of
from storage.experiment_arms import arm_posteriors, promoted_winner
from storage.ledger import (
    contact_history,
    get_message,
    message_id_for,
    record_decision,
    to_decision,
)
from storage.preferences import to_preferences
from telemetry import metrics

log = structlog.get_logger()
# How long a send held by a kill switch waits before it is decided again: a resume takes effect
# within this.
PAUSED_RECHECK = timedelta(minutes=5)


@dataclass(frozen=True)
class Decided:
    """A recorded decision, and the customer as the decision read them under the lock (None for
    an unknown customer): delivery needs no second read of the profile. `fresh`: recorded by
    this very call, so nothing else (picks, copy) is recorded for the message yet."""

    decision: MessageDecision
    customer: Customer | None
    fresh: bool = False


@dataclass
class _Behaviour:
    """The customer's events, read at most once per decision and only when a path needs them."""

    executor: Executor
    customer_id: str
    now: datetime
    _read: tuple[list[BehaviourEvent], list[OrderSummary]] | None = None

    async def get(self) -> tuple[list[BehaviourEvent], list[OrderSummary]]:
        if self._read is None:
            self._read = await behaviour(self.executor, self.customer_id, self.now)
        return self._read


class DecisionPoint:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        rules: guardrails.GuardrailSettings,
        scoring: ScoringSettings,
        intent_model: IntentModel | None,
        offers: OfferBook,
        offer_settings: OfferSettings,
        dormancy: DormancySettings,
    ) -> None:
        self._sessions = sessions
        self._engine = engine_of(sessions)
        self._rules = rules
        self._scoring = scoring
        self._model = intent_model
        self._offers = offers
        self._offer_settings = offer_settings
        self._dormancy = dormancy

    async def decide(self, request: PrepareMessage) -> Decided:
        message_id = message_id_for(request.attempt_key)
        try:
            decided = await self._decide(request, message_id)
        except IntegrityError:  # a concurrent attempt of this very send recorded it first
            async with self._sessions() as session:
                recorded = await get_message(session, message_id)
            assert recorded is not None
            decided = Decided(to_decision(recorded), None)
        decision = decided.decision
        log.info(
            "message decided",
            workflow_id=decision.workflow_id,
            customer_id=decision.customer_id,
            message_id=decision.message_id,
            step=decision.step,
            channel=decision.channel,
            status=decision.status,
            rule=decision.rule,
            reason=decision.reason,
            segment=decision.segment,
        )
        return decided

    async def _decide(self, request: PrepareMessage, message_id: str) -> Decided:
        now, step = request.decided_at, request.step
        cart_id = request.cart_id or _cart_id(request)
        # A connection, not a session: the three statements need none of the ORM's bookkeeping.
        async with self._engine.begin() as conn:
            customer_row, cart_paid = await lock_for_decision(
                conn, request.customer_id, cart_id, request.journey
            )
            history = await contact_history(
                conn, request.customer_id, guardrails.history_window_start(now, self._rules)
            )
            retried = next((row for row in history if row.message_id == message_id), None)
            customer = to_customer(customer_row) if customer_row is not None else None
            if retried is not None:  # an earlier or concurrent attempt of this send decided
                return Decided(to_decision(retried), customer)
            events = _Behaviour(conn, request.customer_id, now)
            segment = await self._segment(request, customer, events)
            arm = await _experiment_arm(conn, step.experiment, request, segment, message_id)
            offer_id = (arm.offer_id if arm and arm.offer_id else None) or request.offer_id
            if offer_id is None and _needs_allocation(request) and customer is not None:
                offer_id = await self._allocate_offer(request, customer, events, history)
            decision = MessageDecision(
                message_id=message_id,
                idempotency_key=request.attempt_key,
                customer_id=request.customer_id,
                journey=request.journey,
                workflow_id=request.workflow_id,
                step=step.id,
                trigger_event_id=request.trigger_event.event_id,
                channel=None,
                status=MessageStatus.SUPPRESSED,
                reason="unknown_customer",
                rule="customer",
                segment=segment,
                experiment_id=step.experiment.id
                if arm and step.experiment
                else request.experiment_id,
                arm_id=arm.id if arm else None,
                created_at=now,
                # The issued coupon is the benefit when there is one, so a repeat is caught.
                benefit_id=request.coupon_id or offer_id,
            )
            if customer_row is not None and customer is not None:
                candidates = _candidates(customer, request, segment, history, self._scoring)
                if arm is not None and arm.channel in candidates:  # the arm's channel goes first
                    candidates.remove(arm.channel)
                    candidates.insert(0, arm.channel)
                if not candidates:
                    decision.reason, decision.rule = "no_reachable_channel", "channel"
                else:
                    verdict = guardrails.decide(
                        _send_request(request, candidates, decision.benefit_id, cart_id, cart_paid),
                        _snapshot(customer_row),
                        [_contact(row) for row in history if row.channel is not None],
                        now,
                        self._rules,
                    )
                    holdout = request.holdout or (arm is not None and arm.id == HOLDOUT_ARM)
                    # Only a send waits for its window (learning one may read the events).
                    window_opens = (
                        await self._window_opens(customer, arm, events, request)
                        if verdict.outcome == guardrails.Outcome.SEND
                        else now
                    )
                    _apply_verdict(decision, verdict, candidates, window_opens, holdout)
                    _hold_if_paused(decision, customer_row.paused)
            await record_decision(conn, decision, importance=step.importance)
        metrics.messages_decided.labels(decision.status, decision.reason).inc()
        if decision.status == MessageStatus.DEFERRED:
            metrics.guardrail_deferrals.labels(decision.reason).inc()
        return Decided(decision, customer, fresh=True)

    async def _segment(
        self, request: PrepareMessage, customer: Customer | None, events: _Behaviour
    ) -> IntentSegment | None:
        """The journey's segment; scored from the customer's events only when it brought none."""
        if request.segment is not None:
            return IntentSegment(request.segment)
        if customer is None:
            return None
        found, orders = await events.get()
        now = request.decided_at
        return score_customer(
            found, orders, now, self._model, self._scoring, customer.timezone
        ).segment

    async def _allocate_offer(
        self,
        request: PrepareMessage,
        customer: Customer,
        events: _Behaviour,
        history: list[Row],
    ) -> str | None:
        """The winback offer of best expected value, none of those sent lately."""
        found, orders = await events.get()
        offer = winback_offer(
            customer.customer_id,
            found,
            orders,
            request.winback_tier or "heavy",
            request.winback_reason or "category",
            request.decided_at,
            self._offers.catalogue,
            self._offers.uplift_model,
            self._offer_settings,
            self._dormancy,
            {row.benefit_id for row in history if row.benefit_id},
        )
        return offer.offer_id if offer else None

    async def _window_opens(
        self, customer: Customer, arm: Arm | None, events: _Behaviour, request: PrepareMessage
    ) -> datetime:
        """When the send may go by the step's timing: the experiment arm's window, the customer's
        learnt active window (from the journey's facts, else learnt here), or now."""
        now = request.decided_at
        if arm is not None and arm.send_window is not None:
            return next_send_time(now, customer.timezone, _hours(arm.send_window), urgent=False)
        if request.step.timing != "active_window":
            return now
        window = request.send_window
        if window is None:
            found, _ = await events.get()
            gap = timedelta(minutes=self._scoring.session_gap_minutes)
            window = learn_send_window(
                activity_times(found, gap), customer.timezone, self._scoring.send_time
            )
        opens = next_send_time(now, customer.timezone, window, urgent=False)
        # A window that opens only once the message is worthless is no window: send it now.
        if request.deliver_by is not None and opens >= request.deliver_by:
            return now
        return opens


async def _experiment_arm(
    executor: Executor,
    experiment: Experiment | None,
    request: PrepareMessage,
    segment: IntentSegment | None,
    message_id: str,
) -> Arm | None:
    """The arm of the step's experiment this send gets (a holdout arm for the holdout).

    Assignment is a stable hash of (experiment, customer); a bandit draws per send from the
    stored posteriors with a generator seeded by the message id, so a retry draws the same arm.
    """
    if experiment is None or segment is None or not experiment.applies_to(segment):
        return None
    winner = await promoted_winner(executor, experiment.id)
    assignment = assign(experiment, request.customer_id, winner)
    if assignment.in_holdout:
        return Arm(id=HOLDOUT_ARM)
    if assignment.arm_id is not None:
        return experiment.arm(assignment.arm_id)
    posteriors = {
        **initial_posteriors(arm.id for arm in experiment.arms),
        **await arm_posteriors(executor, experiment.id),
    }
    rng = random.Random(message_id)
    return experiment.arm(choose_arm(posteriors, rng, experiment.exploration_floor))


def _hours(window: ArmWindow) -> SendWindow:
    """An arm's local window in whole hours (an end at 20:30 keeps the 20:00 hour open)."""
    end = window.end.hour if window.end.minute == 0 else (window.end.hour + 1) % 24
    return SendWindow(start_hour=window.start.hour, end_hour=end, source="experiment")


def _needs_allocation(request: PrepareMessage) -> bool:
    return request.step.offer_rule == "expected_value" and request.winback_reason is not None


def _cart_id(request: PrepareMessage) -> str | None:
    if request.trigger_event.type == EventType.CART_UPDATED:
        return request.trigger_event.properties.get("cart_id")
    return None


def _candidates(
    customer: Customer,
    request: PrepareMessage,
    segment: IntentSegment | None,
    history: list[Row],
    scoring: ScoringSettings,
) -> list[Channel]:
    """The step's channels the customer can be reached on, best first.

    SMS only for hot intent or a critical reminder; the order among the rest is the step's,
    reordered only on clear evidence of how this customer responded on each channel.
    """
    critical = request.step.importance == "critical"
    allowed = tuple(
        channel
        for channel in request.step.channels
        if channel != Channel.SMS or sms_allowed(segment or IntentSegment.COLD, critical)
    )
    reachable = addressable_channels(customer, allowed)
    responses: dict[Channel, ChannelResponse] = {}
    for row in history:
        if row.channel is None or row.status != MessageStatus.SENT:
            continue
        seen = responses.get(Channel(row.channel), ChannelResponse(sent=0, opened=0, clicked=0))
        responses[Channel(row.channel)] = ChannelResponse(
            sent=seen.sent + 1,
            opened=seen.opened + (row.opened_at is not None),
            clicked=seen.clicked + (row.clicked_at is not None),
        )
    return rank_channels(reachable, responses, scoring.channel_preference)


def _send_request(
    request: PrepareMessage,
    candidates: list[Channel],
    benefit_id: str | None,
    cart_id: str | None,
    cart_paid: bool,
) -> guardrails.SendRequest:
    """The send as the guardrails see it: the best candidate channel, the others as fallbacks."""
    return guardrails.SendRequest(
        customer_id=request.customer_id,
        journey=request.journey,
        journey_kind=guardrails.JourneyKind(request.guardrail_kind),
        workflow_id=request.workflow_id,
        step=request.step.id,
        trigger_event_id=request.trigger_event.event_id,
        channel=candidates[0],
        fallback_channels=tuple(candidates[1:]),
        importance=guardrails.Importance(request.step.importance),
        benefit_id=benefit_id,
        discount=request.step.discount,
        cart_id=cart_id,
        cart_paid=cart_paid,
        winback_tier=request.winback_tier,
        deliver_by=request.deliver_by,
    )


def _apply_verdict(
    decision: MessageDecision,
    verdict: guardrails.GuardrailDecision,
    candidates: list[Channel],
    window_opens: datetime,
    holdout: bool,
) -> None:
    """Write the guardrails' verdict into the decision: a send waits for the step's send window,
    and a customer in the holdout is recorded as a would-be send, never delivered."""
    decision.rule, decision.reason = verdict.rule, verdict.reason
    decision.rule_source, decision.blocked_by = verdict.source, verdict.blocked_by
    if verdict.outcome == guardrails.Outcome.SEND and window_opens > decision.created_at:
        decision.status, decision.deferred_until = MessageStatus.DEFERRED, window_opens
        decision.rule, decision.reason = "send_window", "outside_active_window"
        decision.rule_source = None
    elif verdict.outcome == guardrails.Outcome.SEND:
        decision.channel = verdict.channel
        decision.status = MessageStatus.PENDING
        refused = {refusal.channel for refusal in verdict.refused_channels}
        decision.fallback_channels = [
            c for c in candidates if c != verdict.channel and c not in refused
        ]
        if holdout:  # the would-be send is kept for the lift measurement
            decision.status, decision.rule = MessageStatus.SUPPRESSED, "experiment"
            decision.reason, decision.arm_id = "holdout", HOLDOUT_ARM
            decision.rule_source = None
    elif verdict.outcome == guardrails.Outcome.DEFER:
        decision.status = MessageStatus.DEFERRED
        decision.deferred_until = verdict.until


def _hold_if_paused(decision: MessageDecision, paused: str | None) -> None:
    """A send its journey's or its channel's kill switch pauses waits, deferred with reason
    `paused` and decided afresh after PAUSED_RECHECK (workflows/sending.py), until resumed."""
    if decision.status != MessageStatus.PENDING or not paused:
        return
    switches = set(paused.split(","))
    if {f"journey:{decision.journey}", f"channel:{decision.channel}"} & switches:
        decision.status, decision.rule, decision.reason = (
            MessageStatus.DEFERRED,
            "kill_switch",
            "paused",
        )
        decision.channel, decision.fallback_channels = None, []
        decision.deferred_until = decision.created_at + PAUSED_RECHECK


def _snapshot(row: Row) -> guardrails.CustomerSnapshot:
    return guardrails.CustomerSnapshot(
        timezone=row.timezone,
        consent={Channel(k): bool(v) for k, v in row.consent.items()},
        unsubscribed_channels=frozenset(Channel(c) for c in row.unsubscribed_channels or ()),
        blacklisted=row.blacklisted,
        silence_until=row.silence_until,
        preferences=to_preferences(row.preferences),
    )


def _contact(row: Row) -> guardrails.ContactRecord:
    return guardrails.ContactRecord(
        at=row.created_at,
        channel=Channel(row.channel),
        journey=row.journey,
        workflow_id=row.workflow_id,
        step=row.step,
        status=MessageStatus(row.status),
        trigger_event_id=row.trigger_event_id,
        benefit_id=row.benefit_id,
        importance=guardrails.Importance(row.importance),
        opened=row.opened_at is not None,
        clicked=row.clicked_at is not None,
        complained_at=row.complained_at,
    )
