"""The one decision every send passes through: send (on which channel), defer, or suppress.

Pure: the caller reads the customer and their contact history under the customer's lock, calls
`decide` with the workflow's `now`, and writes the answer to the ledger in the same transaction.

Order of evaluation, and why:
1. Suppressions - blacklist, dedupe per trigger event, order status (paid cart), same benefit
   within 30 days. They hold whenever and however the message would go, so they come first: a
   message that must never go is suppressed at once instead of being deferred, woken up and
   deferred again. Among them the customer-wide blacklist comes first so the audit names it.
2. Channel checks on the proposed channel, then on each fallback in order - consent, unsubscribe,
   silence on interruptive channels, SMS weekly cap. The first channel that passes carries the
   message, so a third SMS in a week or a silenced push moves to the next allowed channel rather
   than waiting. If none passes and some only close for a while (silence, SMS cap), the message
   waits for the earliest one to reopen; if all are closed for good (no consent, unsubscribed), it
   is suppressed with the proposed channel's reason.
3. Timing checks - weekly cap, daily cap, winback tier cap, cross-sell weekly cap, cross-sell gaps
   (48 h between important touches, 24 h within the journey), quiet hours. Each says from when the
   message may go; they apply to every channel, so they come after the channel is chosen. Days and
   weeks are the customer's local calendar days and ISO weeks; cap deferrals land on the next local
   morning (the end of quiet hours) or next Monday morning.
4. Deferral: the blocks above are re-evaluated at the proposed instant until they all pass, so
   `until` is the first instant at which the message may go if nothing else is sent meanwhile (one
   durable timer, not a chain of wake-ups: a gap ending at 23:00 lands on 09:00). The reported
   rule is the one that blocks at `now` for longest (ties: the order above). If the message has a
   `deliver_by` earlier than `until`, it is suppressed instead, with reason `past_deliver_by`;
   its rule and `blocked_by` name the block standing at `deliver_by`, the one that held it.
5. The customer's own preferences (quiet hours, a lower daily or weekly cap, channels turned off)
   are checked with the business rules, the stricter winning; `source` says whose rule decided.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from guardrails.checks import (
    CHANNEL_CHECKS,
    SUPPRESSIONS,
    TIMING_CHECKS,
    Block,
    Contact,
    Context,
    Refusal,
)
from guardrails.decisions import ChannelRefusal, GuardrailDecision, Outcome, Reason, Rule
from guardrails.feedback import feedback_state
from guardrails.inputs import ContactRecord, CustomerSnapshot, SendRequest
from guardrails.localtime import local_day, local_week, require_aware
from guardrails.settings import GuardrailSettings
from models.channels import Channel
from models.preferences import RuleSource

# Each round moves `until` strictly forward past a cap, gap or quiet period; a handful suffices in
# practice, and an answer cut short is still safe because the deferred send is decided afresh.
_MAX_DEFERRAL_ROUNDS = 16


@dataclass(frozen=True)
class _Open:
    channel: Channel
    refused: tuple[ChannelRefusal, ...]


@dataclass(frozen=True)
class _Closed:
    """Every candidate channel is closed for good."""

    refused: tuple[ChannelRefusal, ...]


@dataclass(frozen=True)
class _Waiting:
    block: Block
    refused: tuple[ChannelRefusal, ...]


def history_window_start(now: datetime, rules: GuardrailSettings) -> datetime:
    """The oldest ledger record `decide` needs (records with a complaint are needed from any time).

    Eight days cover the current local ISO week from any zone; the benefit window, the running
    silences and the cross-sell gaps may reach further back.
    """
    require_aware(now)
    reach = max(
        timedelta(days=8),
        timedelta(days=rules.benefit_repeat_days),
        timedelta(days=rules.silence_days, hours=rules.unopened_after_hours),
        timedelta(
            hours=max(rules.cross_sell_important_gap_hours, rules.cross_sell_journey_gap_hours)
        ),
    )
    return now - reach


def decide(
    request: SendRequest,
    customer: CustomerSnapshot,
    history: Sequence[ContactRecord],
    now: datetime,
    rules: GuardrailSettings,
) -> GuardrailDecision:
    """Decide one send at `now` (the workflow's clock, aware).

    `history` is the customer's ledger records of all journeys since
    `history_window_start(now, rules)`, plus every record that carries a complaint; only pending
    and sent records count as contacts.
    """
    require_aware(now)
    ctx = _context(request, customer, history, now, rules)

    for suppression in SUPPRESSIONS:
        refusal = suppression(ctx)
        if refusal is not None:
            return _suppress(refusal, ())

    first = _evaluate(ctx, now)
    if isinstance(first, _Open):
        rerouted = first.channel != request.channel
        return GuardrailDecision(
            outcome=Outcome.SEND,
            channel=first.channel,
            rule=first.refused[0].rule if rerouted else Rule.PASSED,
            reason=Reason.REROUTED if rerouted else Reason.ALLOWED,
            refused_channels=first.refused,
            source=first.refused[0].source if rerouted else None,
        )
    if isinstance(first, _Closed):
        proposed = first.refused[0]
        return _suppress(
            Refusal(proposed.rule, proposed.reason), first.refused, source=proposed.source
        )

    until, holding = first.block.until, first.block
    for _ in range(_MAX_DEFERRAL_ROUNDS):
        later = _evaluate(ctx, until)
        if not isinstance(later, _Waiting):
            break
        if request.deliver_by is not None and until <= request.deliver_by:
            holding = later.block  # the block standing at deliver_by is the one that held it
        until = later.block.until
    if request.deliver_by is not None and until > request.deliver_by:
        return _suppress(
            Refusal(holding.rule, Reason.PAST_DELIVER_BY),
            first.refused,
            source=holding.source,
            blocked_by=holding.reason,
        )
    return GuardrailDecision(
        outcome=Outcome.DEFER,
        until=until.astimezone(UTC),
        rule=first.block.rule,
        reason=first.block.reason,
        refused_channels=first.refused,
        source=first.block.source,
    )


def _context(
    request: SendRequest,
    customer: CustomerSnapshot,
    history: Sequence[ContactRecord],
    now: datetime,
    rules: GuardrailSettings,
) -> Context:
    zone = customer.zone
    # A contact stamped a little after `now` still counts: it comes from another journey whose
    # workflow clock runs slightly ahead, and ignoring it would let both journeys take one slot.
    contacts = tuple(
        Contact(record=r, day=local_day(r.at, zone), week=local_week(r.at, zone))
        for r in history
        if r.is_contact
    )
    return Context(
        request=request,
        customer=customer,
        zone=zone,
        contacts=contacts,
        feedback=feedback_state(history, now, rules),
        rules=rules,
        now=now,
    )


def _evaluate(ctx: Context, t: datetime) -> _Open | _Closed | _Waiting:
    """Channel and timing checks as they would stand at instant `t`."""
    refused: list[ChannelRefusal] = []
    chosen: Channel | None = None
    for channel in ctx.request.candidate_channels:
        refusal = next(
            (r for check in CHANNEL_CHECKS if (r := check(ctx, channel, t)) is not None), None
        )
        if refusal is None:
            chosen = channel
            break
        refused.append(refusal)

    blocks: list[Block] = []
    if chosen is None:
        reopening = [(r.until, r) for r in refused if r.until is not None]
        if not reopening:
            return _Closed(tuple(refused))
        until, soonest = min(reopening, key=lambda pair: pair[0])
        blocks.append(Block(soonest.rule, soonest.reason, until))
    blocks += [b for check in TIMING_CHECKS if (b := check(ctx, t)) is not None]
    if chosen is not None and not blocks:
        return _Open(chosen, tuple(refused))
    # max keeps the first of equal blocks, so ties go to the earlier rule in the order.
    return _Waiting(max(blocks, key=lambda b: b.until), tuple(refused))


def _suppress(
    refusal: Refusal,
    refused: tuple[ChannelRefusal, ...],
    source: RuleSource = RuleSource.BUSINESS,
    blocked_by: Reason | None = None,
) -> GuardrailDecision:
    return GuardrailDecision(
        outcome=Outcome.SUPPRESS,
        rule=refusal.rule,
        reason=refusal.reason,
        refused_channels=refused,
        source=source,
        blocked_by=blocked_by,
    )
