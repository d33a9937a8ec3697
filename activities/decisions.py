"""The decision point every send passes through.

One database transaction per decision, serialised per customer (storage.customers.lock_customer):
the customer's consent, feedback state and contact history are read, the guardrails decide
send / defer / suppress, and the decision is written to the ledger under the attempt's
idempotency key — so two journeys racing for a customer's last daily slot cannot both win.
The copy is written after the lock is released; a retry finds the recorded decision.
"""

import random
from datetime import datetime, timedelta

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

import guardrails
from activities.copywriter import Copywriter
from activities.offer_choice import OfferBook, winback_offer
from channels.choice import addressable_channels
from experiments.assignment import HOLDOUT_ARM, assign
from experiments.bandit import choose_arm, initial_posteriors
from experiments.definitions import Arm, Experiment
from experiments.definitions import SendWindow as ArmWindow
from models.channels import Channel
from models.customers import Customer
from models.events import EventType
from models.journey_runs import PrepareMessage
from models.messages import MessageContent, MessageDecision, MessageStatus
from models.tables import CustomerRow, MessageRow
from scoring.channel_preference import ChannelResponse, rank_channels, sms_allowed
from scoring.intent import score_customer
from scoring.journey_features import BehaviourEvent, OrderSummary
from scoring.model import IntentModel
from scoring.segments import IntentSegment
from scoring.send_time import SendWindow, activity_times, learn_send_window, next_send_time
from scoring.settings import ScoringSettings
from settings import Settings
from storage.behaviour import behaviour, cart_paid
from storage.customers import get_customer, lock_customer, to_customer
from storage.database import autocommit
from storage.experiment_arms import arm_posteriors, promoted_winner
from storage.ledger import (
    contact_history,
    get_message,
    ledger_row,
    message_id_for,
    set_content,
    to_decision,
)
from telemetry import metrics

log = structlog.get_logger()


class DecisionActivities:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        intent_model: IntentModel | None,
        copywriter: Copywriter,
        offers: OfferBook,
    ) -> None:
        self._sessions = sessions
        self._single_statements = autocommit(sessions)
        self._settings = settings
        self._model = intent_model
        self._copywriter = copywriter
        self._offers = offers

    @activity.defn
    async def prepare_message(self, request: PrepareMessage) -> MessageDecision:
        message_id = message_id_for(request.attempt_key)
        customer = None  # the copy needs it too
        try:
            # A retry finds its earlier decision in the history it reads under the lock.
            recorded, customer = await self._decide(request, message_id)
        except IntegrityError:  # a concurrent attempt of this very activity recorded it
            async with self._sessions() as session:
                recorded = await get_message(session, message_id)
            assert recorded is not None
        decision = to_decision(recorded)
        if decision.status == MessageStatus.PENDING and decision.content is None:
            decision = await self._compose(request, decision, customer)
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
        return decision

    async def _decide(
        self, request: PrepareMessage, message_id: str
    ) -> tuple[MessageRow, Customer | None]:
        now = request.decided_at
        step = request.step
        async with self._sessions.begin() as session:
            customer_row = await lock_customer(session, request.customer_id)
            customer = to_customer(customer_row) if customer_row else None
            segment, events, orders = None, [], []
            if customer is not None:
                events, orders = await behaviour(session, customer.customer_id, now)
                segment = score_customer(
                    events, orders, now, self._model, self._settings.scoring, customer.timezone
                ).segment
            history = await contact_history(
                session,
                request.customer_id,
                guardrails.history_window_start(now, self._settings.guardrails),
            )
            retried = next((row for row in history if row.message_id == message_id), None)
            if retried is not None:  # an earlier or concurrent attempt of this activity decided
                return retried, customer
            cart_id = request.cart_id or _cart_id(request)
            paid = cart_id is not None and await cart_paid(session, request.customer_id, cart_id)
            arm = await _experiment_arm(session, step.experiment, request, segment, message_id)
            offer_id = (arm.offer_id if arm and arm.offer_id else None) or request.offer_id
            if offer_id is None and _needs_allocation(request) and customer is not None:
                offer_id = self._allocate_offer(request, customer, events, orders, history)

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
                experiment_id=step.experiment.id if arm else request.experiment_id,
                arm_id=arm.id if arm else None,
                created_at=now,
                # The issued coupon is the benefit when there is one, so a repeat is caught.
                benefit_id=request.coupon_id or offer_id,
            )
            if customer_row is not None and customer is not None:
                candidates = _candidates(
                    customer, request, segment, history, self._settings.scoring
                )
                if arm is not None and arm.channel in candidates:  # the arm's channel goes first
                    candidates.remove(arm.channel)
                    candidates.insert(0, arm.channel)
                if not candidates:
                    decision.reason, decision.rule = "no_reachable_channel", "channel"
                else:
                    verdict = guardrails.decide(
                        _send_request(request, candidates, decision.benefit_id, cart_id, paid),
                        _snapshot(customer_row),
                        [_contact(row) for row in history if row.channel is not None],
                        now,
                        self._settings.guardrails,
                    )
                    holdout = request.holdout or (arm is not None and arm.id == HOLDOUT_ARM)
                    # Only a send waits for its window (learning one goes over every session).
                    window_opens = (
                        self._window_opens(customer, arm, events, request)
                        if verdict.outcome == guardrails.Outcome.SEND
                        else now
                    )
                    _apply_verdict(decision, verdict, candidates, window_opens, holdout)
            row = ledger_row(decision, importance=step.importance)
            session.add(row)
        metrics.messages_decided.labels(row.status, row.reason).inc()
        if row.status == MessageStatus.DEFERRED:
            metrics.guardrail_deferrals.labels(row.reason).inc()
        return row, customer

    def _allocate_offer(
        self,
        request: PrepareMessage,
        customer: Customer,
        events: list[BehaviourEvent],
        orders: list[OrderSummary],
        history: list[MessageRow],
    ) -> str | None:
        """The winback offer of best expected value, none of those sent lately."""
        offer = winback_offer(
            customer.customer_id,
            events,
            orders,
            request.winback_tier or "heavy",
            request.winback_reason or "category",
            request.decided_at,
            self._offers.catalogue,
            self._offers.uplift_model,
            self._settings.offers,
            self._settings.dormancy,
            {row.benefit_id for row in history if row.benefit_id},
        )
        return offer.offer_id if offer else None

    def _window_opens(
        self,
        customer: Customer,
        arm: Arm | None,
        events: list[BehaviourEvent],
        request: PrepareMessage,
    ) -> datetime:
        """When the send may go by the step's timing: the experiment arm's window, the customer's
        learnt active window, or now."""
        now = request.decided_at
        if arm is not None and arm.send_window is not None:
            return next_send_time(now, customer.timezone, _hours(arm.send_window), urgent=False)
        if request.step.timing != "active_window":
            return now
        scoring = self._settings.scoring
        times = activity_times(events, timedelta(minutes=scoring.session_gap_minutes))
        window = learn_send_window(times, customer.timezone, scoring.send_time)
        return next_send_time(now, customer.timezone, window, urgent=False)

    async def _compose(
        self, request: PrepareMessage, decision: MessageDecision, customer: Customer | None
    ) -> MessageDecision:
        if customer is None:  # a retry found the decision already recorded
            async with self._sessions() as session:
                customer = await get_customer(session, request.customer_id)
        assert customer is not None and decision.channel is not None
        result = await self._copywriter.write(
            request.journey,
            request.step,
            decision.channel,
            customer,
            decision.segment,
            request.trigger_event,
            request.decided_at,
            # The benefit is the offer, unless it is an issued coupon of the trigger's offer.
            request.offer_id if request.coupon_id else decision.benefit_id,
            _variant(request.step.experiment, decision.arm_id),
        )
        if result.path == "template" and not result.from_cache and result.reasons:
            metrics.llm_fallbacks.labels(result.reasons[0]).inc()
        copy = result.content
        content = MessageContent(
            title=copy.title, body=copy.body, cta=copy.cta, disclaimers=copy.disclaimers
        )
        notes = ",".join(result.reasons)
        await set_content(
            self._single_statements,
            decision.message_id,
            content,
            result.content_hash,
            result.path,
            notes,
        )
        return decision.model_copy(
            update={
                "content": content,
                "content_path": result.path,
                "content_reasons": [reason.value for reason in result.reasons],
            }
        )


async def _experiment_arm(
    session: AsyncSession,
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
    winner = await promoted_winner(session, experiment.id)
    assignment = assign(experiment, request.customer_id, winner)
    if assignment.in_holdout:
        return Arm(id=HOLDOUT_ARM)
    if assignment.arm_id is not None:
        return experiment.arm(assignment.arm_id)
    posteriors = {
        **initial_posteriors(arm.id for arm in experiment.arms),
        **await arm_posteriors(session, experiment.id),
    }
    rng = random.Random(message_id)
    return experiment.arm(choose_arm(posteriors, rng, experiment.exploration_floor))


def _hours(window: ArmWindow) -> SendWindow:
    """An arm's local window in whole hours (an end at 20:30 keeps the 20:00 hour open)."""
    end = window.end.hour if window.end.minute == 0 else (window.end.hour + 1) % 24
    return SendWindow(start_hour=window.start.hour, end_hour=end, source="experiment")


def _variant(experiment: Experiment | None, arm_id: str | None) -> str:
    if experiment is None or arm_id is None or arm_id == HOLDOUT_ARM:
        return "rational"
    return experiment.arm(arm_id).copy_variant or "rational"


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
    history: list[MessageRow],
    scoring: ScoringSettings,
) -> list[Channel]:
    """The step's channels the customer can be reached on, best first.

    SMS only for hot intent or a critical reminder; the order among the rest is the product's
    priority adjusted by how this customer responded on each channel.
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
    if verdict.outcome == guardrails.Outcome.SEND and window_opens > decision.created_at:
        decision.status, decision.deferred_until = MessageStatus.DEFERRED, window_opens
        decision.rule, decision.reason = "send_window", "outside_active_window"
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
    elif verdict.outcome == guardrails.Outcome.DEFER:
        decision.status = MessageStatus.DEFERRED
        decision.deferred_until = verdict.until


def _snapshot(row: CustomerRow) -> guardrails.CustomerSnapshot:
    return guardrails.CustomerSnapshot(
        timezone=row.timezone,
        consent={Channel(k): bool(v) for k, v in row.consent.items()},
        unsubscribed_channels=frozenset(Channel(c) for c in row.unsubscribed_channels or ()),
        blacklisted=row.blacklisted,
        silence_until=row.silence_until,
    )


def _contact(row: MessageRow) -> guardrails.ContactRecord:
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
