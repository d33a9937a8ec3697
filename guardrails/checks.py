"""The guardrail rules, one function each, in three families that `decide` runs in turn.

- suppressions: the message must never go, whenever and however it is sent;
- channel checks: this channel may not carry it (maybe only until some instant);
- timing checks: nothing may go at instant `t`, but from the returned instant on it may.
Counting rules look only at contacts (recorded sends) and count in the customer's local calendar.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from guardrails.decisions import ChannelRefusal, Reason, Rule
from guardrails.feedback import FeedbackState, SilenceCause
from guardrails.inputs import (
    ContactRecord,
    CustomerSnapshot,
    JourneyKind,
    SendRequest,
    is_important,
)
from guardrails.localtime import (
    local_day,
    local_week,
    next_day_at,
    next_week_at,
    quiet_hours_end,
)
from guardrails.settings import GuardrailSettings
from models.channels import Channel
from models.preferences import RuleSource


@dataclass(frozen=True)
class Contact:
    """A recorded send with its place in the customer's calendar worked out once."""

    record: ContactRecord
    day: date
    week: tuple[int, int]


@dataclass(frozen=True)
class Context:
    request: SendRequest
    customer: CustomerSnapshot
    zone: ZoneInfo
    contacts: tuple[Contact, ...]
    feedback: FeedbackState
    rules: GuardrailSettings
    now: datetime


@dataclass(frozen=True)
class Refusal:
    rule: Rule
    reason: Reason


@dataclass(frozen=True)
class Block:
    """Nothing may go before `until`."""

    rule: Rule
    reason: Reason
    until: datetime
    source: RuleSource = RuleSource.BUSINESS


def blacklist(ctx: Context) -> Refusal | None:
    if ctx.customer.blacklisted or ctx.feedback.blacklisted:
        return Refusal(Rule.BLACKLIST, Reason.BLACKLISTED)
    return None


def dedupe(ctx: Context) -> Refusal | None:
    """One message per triggering event. The steps of one journey may all answer the same event
    (the three cart reminders answer one cart update); any other journey may not, and no step may
    answer it twice."""
    req = ctx.request
    for c in ctx.contacts:
        r = c.record
        if r.trigger_event_id == req.trigger_event_id and (
            r.workflow_id != req.workflow_id or r.step == req.step
        ):
            return Refusal(Rule.DEDUPE, Reason.DUPLICATE_TRIGGER)
    return None


def order_status(ctx: Context) -> Refusal | None:
    """A paid cart ends its reminders; with a discount attached the reason says so."""
    if not ctx.request.cart_paid:
        return None
    if ctx.request.discount:
        return Refusal(Rule.ORDER_STATUS, Reason.DISCOUNT_ON_PAID_CART)
    return Refusal(Rule.ORDER_STATUS, Reason.CART_ALREADY_PAID)


def benefit_frequency(ctx: Context) -> Refusal | None:
    benefit = ctx.request.benefit_id
    if benefit is None:
        return None
    since = ctx.now - timedelta(days=ctx.rules.benefit_repeat_days)
    if any(c.record.benefit_id == benefit and c.record.at > since for c in ctx.contacts):
        return Refusal(Rule.BENEFIT_FREQUENCY, Reason.BENEFIT_REPEATED)
    return None


SUPPRESSIONS: tuple[Callable[[Context], Refusal | None], ...] = (
    blacklist,
    dedupe,
    order_status,
    benefit_frequency,
)


def consent(ctx: Context, channel: Channel, t: datetime) -> ChannelRefusal | None:
    if not ctx.customer.consent.get(channel, False):
        return ChannelRefusal(channel=channel, rule=Rule.CONSENT, reason=Reason.NO_CONSENT)
    return None


def unsubscribe(ctx: Context, channel: Channel, t: datetime) -> ChannelRefusal | None:
    if channel in ctx.customer.unsubscribed_channels:
        return ChannelRefusal(channel=channel, rule=Rule.UNSUBSCRIBE, reason=Reason.UNSUBSCRIBED)
    return None


def channel_preference(ctx: Context, channel: Channel, t: datetime) -> ChannelRefusal | None:
    """A channel the customer turned off in their preferences is closed, as an unsubscribe is."""
    if channel in ctx.customer.preferences.channels_off:
        return ChannelRefusal(
            channel=channel,
            rule=Rule.CHANNEL_PREFERENCE,
            reason=Reason.CHANNEL_OFF,
            source=RuleSource.CUSTOMER,
        )
    return None


def silence(ctx: Context, channel: Channel, t: datetime) -> ChannelRefusal | None:
    if channel not in ctx.rules.interruptive_channels:
        return None
    stored, learned = ctx.customer.silence_until, ctx.feedback.silence_until
    if stored is not None and stored > t and (learned is None or stored >= learned):
        return ChannelRefusal(
            channel=channel, rule=Rule.SILENCE, reason=Reason.SILENCE_STORED, until=stored
        )
    if learned is not None and learned > t:
        reason = (
            Reason.SILENCE_COMPLAINT
            if ctx.feedback.silence_cause == SilenceCause.COMPLAINT
            else Reason.SILENCE_UNOPENED
        )
        return ChannelRefusal(channel=channel, rule=Rule.SILENCE, reason=reason, until=learned)
    return None


def sms_weekly_cap(ctx: Context, channel: Channel, t: datetime) -> ChannelRefusal | None:
    if channel != Channel.SMS:
        return None
    week = local_week(t, ctx.zone)
    sent = sum(1 for c in ctx.contacts if c.week == week and c.record.channel == Channel.SMS)
    if sent < ctx.rules.sms_weekly_cap:
        return None
    return ChannelRefusal(
        channel=channel,
        rule=Rule.SMS_WEEKLY_CAP,
        reason=Reason.SMS_WEEKLY_CAP,
        until=next_week_at(t, ctx.rules.quiet_hours_end, ctx.zone),
    )


CHANNEL_CHECKS: tuple[Callable[[Context, Channel, datetime], ChannelRefusal | None], ...] = (
    consent,
    unsubscribe,
    channel_preference,
    silence,
    sms_weekly_cap,
)


def _stricter_cap(business: int, customer: int | None) -> tuple[int, RuleSource]:
    """The lower of the business cap and the customer's own (a tie is the business's rule)."""
    if customer is not None and customer < business:
        return customer, RuleSource.CUSTOMER
    return business, RuleSource.BUSINESS


def weekly_cap(ctx: Context, t: datetime) -> Block | None:
    week = local_week(t, ctx.zone)
    cap, source = _stricter_cap(ctx.rules.weekly_cap, ctx.customer.preferences.max_per_week)
    if sum(1 for c in ctx.contacts if c.week == week) < cap:
        return None
    until = next_week_at(t, ctx.rules.quiet_hours_end, ctx.zone)
    return Block(Rule.WEEKLY_CAP, Reason.WEEKLY_CAP, until, source)


def daily_cap(ctx: Context, t: datetime) -> Block | None:
    day = local_day(t, ctx.zone)
    cap, source = _stricter_cap(ctx.rules.daily_cap, ctx.customer.preferences.max_per_day)
    if sum(1 for c in ctx.contacts if c.day == day) < cap:
        return None
    until = next_day_at(t, ctx.rules.quiet_hours_end, ctx.zone)
    return Block(Rule.DAILY_CAP, Reason.DAILY_CAP, until, source)


def _journey_contacts_in_week(ctx: Context, t: datetime) -> int:
    week = local_week(t, ctx.zone)
    return sum(
        1 for c in ctx.contacts if c.week == week and c.record.journey == ctx.request.journey
    )


def winback_weekly_cap(ctx: Context, t: datetime) -> Block | None:
    tier = ctx.request.winback_tier
    if ctx.request.journey_kind != JourneyKind.WINBACK or tier is None:
        return None
    if _journey_contacts_in_week(ctx, t) < ctx.rules.winback_weekly_cap(tier):
        return None
    until = next_week_at(t, ctx.rules.quiet_hours_end, ctx.zone)
    return Block(Rule.WINBACK_WEEKLY_CAP, Reason.WINBACK_WEEKLY_CAP, until)


def cross_sell_weekly_cap(ctx: Context, t: datetime) -> Block | None:
    if ctx.request.journey_kind != JourneyKind.HIGH_VALUE_CROSS_SELL:
        return None
    if _journey_contacts_in_week(ctx, t) < ctx.rules.cross_sell_weekly_cap:
        return None
    until = next_week_at(t, ctx.rules.quiet_hours_end, ctx.zone)
    return Block(Rule.CROSS_SELL_WEEKLY_CAP, Reason.CROSS_SELL_WEEKLY_CAP, until)


def cross_sell_important_gap(ctx: Context, t: datetime) -> Block | None:
    """An important cross-sell touch waits 48 h after the last important touch of any journey."""
    req = ctx.request
    if req.journey_kind != JourneyKind.HIGH_VALUE_CROSS_SELL or not is_important(req.importance):
        return None
    last = max(
        (c.record.at for c in ctx.contacts if is_important(c.record.importance)), default=None
    )
    if last is None:
        return None
    until = last + timedelta(hours=ctx.rules.cross_sell_important_gap_hours)
    if t >= until:
        return None
    return Block(Rule.CROSS_SELL_IMPORTANT_GAP, Reason.CROSS_SELL_IMPORTANT_GAP, until)


def cross_sell_journey_gap(ctx: Context, t: datetime) -> Block | None:
    req = ctx.request
    if req.journey_kind != JourneyKind.HIGH_VALUE_CROSS_SELL:
        return None
    last = max((c.record.at for c in ctx.contacts if c.record.journey == req.journey), default=None)
    if last is None:
        return None
    until = last + timedelta(hours=ctx.rules.cross_sell_journey_gap_hours)
    if t >= until:
        return None
    return Block(Rule.CROSS_SELL_JOURNEY_GAP, Reason.CROSS_SELL_JOURNEY_GAP, until)


def quiet_hours(ctx: Context, t: datetime) -> Block | None:
    """The business's quiet hours and the customer's own both hold: `t` is quiet if it falls in
    either, until the later of the two ends (the deferral loop then checks the other again)."""
    ends = []
    business = quiet_hours_end(t, ctx.rules.quiet_hours_start, ctx.rules.quiet_hours_end, ctx.zone)
    if business is not None:
        ends.append((business, RuleSource.BUSINESS))
    own = ctx.customer.preferences.quiet_hours
    customer = quiet_hours_end(t, *own, ctx.zone) if own is not None else None
    if customer is not None:
        ends.append((customer, RuleSource.CUSTOMER))
    if not ends:
        return None
    # max keeps the first of equal ends: a tie is the business's rule.
    end, source = max(ends, key=lambda pair: pair[0])
    return Block(Rule.QUIET_HOURS, Reason.QUIET_HOURS, end, source)


TIMING_CHECKS: tuple[Callable[[Context, datetime], Block | None], ...] = (
    weekly_cap,
    daily_cap,
    winback_weekly_cap,
    cross_sell_weekly_cap,
    cross_sell_important_gap,
    cross_sell_journey_gap,
    quiet_hours,
)
