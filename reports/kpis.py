"""The business KPIs of PRODUCT.md, computed from the ledger and the events alone.

Each KPI comes with its target, the counts it was computed from, how many of its windows are
still open at `now` (the figure may still rise) and its definition in words; a KPI the records
cannot support says why instead of guessing.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from journeys.cart_abandonment import CART_ABANDONMENT
from journeys.winback import WINBACK
from models.channels import Channel
from models.events import EventType
from offers.catalogue import CostBasis, Offer
from reports.period import Period
from reports.records import LedgerEntry, events_in, ledger_entries, orders_of
from reports.settings import ReportSettings
from reports.targets import (
    BLOCK_RATE,
    CART_RECOVERY,
    COST_PER_REACTIVATION,
    CROSS_CHANNEL_CTR,
    FIRST_ORDER_CONVERSION,
    MEMBER_CROSS_PURCHASE,
    TARGETS,
    UNSUBSCRIBE_RATE,
    WINBACK_RETURN_RATE,
    Direction,
    Unit,
)
from reports.windows import describe

UNSUBSCRIBE_CHANNELS = (Channel.SMS, Channel.EMAIL)
STARTED = "started"


class Kpi(BaseModel):
    key: str
    label: str
    value: float | None
    unit: Unit
    baseline: float
    target: float
    direction: Direction
    meets_target: bool | None
    counts: dict[str, int | float]
    open_windows: int = 0
    definition: str
    unavailable: str | None = None


class KpiReport(BaseModel):
    since: datetime
    until: datetime
    computed_at: datetime
    kpis: list[Kpi]


def _kpi(
    key: str,
    value: float | None,
    counts: Mapping[str, int | float],
    definition: str,
    open_windows: int = 0,
    unavailable: str | None = None,
) -> Kpi:
    target = TARGETS[key]
    return Kpi(
        key=key,
        label=target.label,
        value=value,
        unit=target.unit,
        baseline=target.baseline,
        target=target.target,
        direction=target.direction,
        meets_target=target.met_by(value),
        counts=dict(counts),
        open_windows=open_windows,
        definition=definition,
        unavailable=unavailable,
    )


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


async def kpi_report(
    session: AsyncSession,
    period: Period,
    now: datetime,
    settings: ReportSettings,
    offers: Mapping[str, Offer],
) -> KpiReport:
    entries = await ledger_entries(session, period)
    sent = [entry for entry in entries if entry.sent]
    return KpiReport(
        since=period.since,
        until=period.until,
        computed_at=now,
        kpis=[
            await first_order_conversion(session, period, now, settings),
            cross_channel_ctr(sent),
            unsubscribe_rate(sent),
            await cart_recovery(session, period, now, settings),
            *await winback(session, sent, period, now, settings, offers),
            block_rate(sent),
            member_cross_purchase(),
        ],
    )


async def first_order_conversion(
    session: AsyncSession, period: Period, now: datetime, settings: ReportSettings
) -> Kpi:
    window = settings.first_order_window
    signed_up: dict[str, datetime] = {}
    for event in await events_in(session, EventType.SIGNUP, period):
        signed_up.setdefault(event.customer_id, event.occurred_at)
    orders = await orders_of(session, signed_up, period.since, period.until + window)
    converted = sum(
        orders.first_within(customer, at, window) is not None for customer, at in signed_up.items()
    )
    return _kpi(
        FIRST_ORDER_CONVERSION,
        _ratio(converted, len(signed_up)),
        {"signups": len(signed_up), "converted": converted},
        f"customers who signed up in the period (first signup event) with a paid order within "
        f"{describe(window)} of it / those customers",
        open_windows=sum(at + window > now for at in signed_up.values()),
    )


def cross_channel_ctr(sent: list[LedgerEntry]) -> Kpi:
    counts: dict[str, int | float] = {"sent": len(sent), "clicked": 0}
    for entry in sent:
        clicked = entry.clicked_at is not None
        counts["clicked"] += clicked
        channel = entry.channel or "unknown"
        counts[f"sent_{channel}"] = counts.get(f"sent_{channel}", 0) + 1
        counts[f"clicked_{channel}"] = counts.get(f"clicked_{channel}", 0) + clicked
    return _kpi(
        CROSS_CHANNEL_CTR,
        _ratio(counts["clicked"], counts["sent"]),
        counts,
        "messages of every channel sent in the period that were clicked (tracked link or "
        "provider receipt) / messages sent (accepted by the provider)",
    )


def unsubscribe_rate(sent: list[LedgerEntry]) -> Kpi:
    relevant = [e for e in sent if e.channel in UNSUBSCRIBE_CHANNELS]
    unsubscribed = sum(e.unsubscribed_at is not None for e in relevant)
    return _kpi(
        UNSUBSCRIBE_RATE,
        _ratio(unsubscribed, len(relevant)),
        {"sent": len(relevant), "unsubscribed": unsubscribed},
        "SMS and email messages sent in the period that led to an unsubscribe (the ledger's "
        "unsubscribed_at: a provider's receipt, or our link counted against the latest message) "
        "/ SMS and email sent",
    )


async def cart_recovery(
    session: AsyncSession, period: Period, now: datetime, settings: ReportSettings
) -> Kpi:
    window = settings.cart_recovery_window
    carts = [
        event
        for event in await events_in(session, EventType.CART_UPDATED, period)
        if _started(event.routing, CART_ABANDONMENT.kind)
    ]
    orders = await orders_of(
        session, (c.customer_id for c in carts), period.since, period.until + window
    )
    recovered = 0
    for cart in carts:
        cart_id = cart.properties.get("cart_id")
        order = orders.first_within(
            cart.customer_id, cart.occurred_at, window, str(cart_id) if cart_id else None
        )
        recovered += order is not None
    return _kpi(
        CART_RECOVERY,
        _ratio(recovered, len(carts)),
        {"carts": len(carts), "recovered": recovered},
        f"cart updates in the period that started a {CART_ABANDONMENT.kind} journey and were "
        f"followed within {describe(window)} by a paid order of that cart (or of no named cart) / "
        f"those cart updates",
        open_windows=sum(cart.occurred_at + window > now for cart in carts),
    )


async def winback(
    session: AsyncSession,
    sent: list[LedgerEntry],
    period: Period,
    now: datetime,
    settings: ReportSettings,
    offers: Mapping[str, Offer],
) -> list[Kpi]:
    """Return rate and cost per reactivation, over the customers sent a winback message."""
    window = settings.winback_return_window
    messages = [e for e in sent if e.journey == WINBACK.kind]
    first_sent: dict[str, datetime] = {}
    for entry in messages:
        first_sent.setdefault(entry.customer_id, entry.created_at)
    orders = await orders_of(session, first_sent, period.since, period.until + window)
    returns = {
        customer: order.occurred_at
        for customer, at in first_sent.items()
        if (order := orders.first_within(customer, at, window)) is not None
    }
    cost = _incentive_cost(messages, returns, offers)
    return [
        _kpi(
            WINBACK_RETURN_RATE,
            _ratio(len(returns), len(first_sent)),
            {"customers": len(first_sent), "returned": len(returns)},
            f"customers sent a winback message in the period (holdout excluded) with a paid "
            f"order within {describe(window)} of the first one / those customers",
            open_windows=sum(at + window > now for at in first_sent.values()),
        ),
        _kpi(
            COST_PER_REACTIVATION,
            _ratio(cost["grant_cost_cny"] + cost["redemption_cost_cny"], len(returns)),
            {**cost, "returned": len(returns)},
            "incentive cost of the winback offers sent in the period / customers who returned. "
            "Per-grant offers (priority support...) cost on every send; a per-redemption coupon "
            "costs its face value once per returned customer: the last one sent before the "
            "return order and still valid then (the order's coupon is not linked to an offer "
            "in our records, so this assumes it was used)",
            open_windows=sum(at + window > now for at in first_sent.values()),
        ),
    ]


def _incentive_cost(
    messages: list[LedgerEntry], returns: Mapping[str, datetime], offers: Mapping[str, Offer]
) -> dict[str, int | float]:
    cost: dict[str, int | float] = {"offers_sent": 0, "unknown_offers": 0, "grant_cost_cny": 0.0}
    redeemed: dict[str, float] = {}
    for entry in messages:  # oldest first: a later coupon replaces an earlier one
        if entry.benefit_id is None:
            continue
        cost["offers_sent"] += 1
        offer = offers.get(entry.benefit_id)
        if offer is None:
            cost["unknown_offers"] += 1
        elif offer.cost_basis is CostBasis.PER_GRANT:
            cost["grant_cost_cny"] += offer.cost_cny
        elif (returned_at := returns.get(entry.customer_id)) is not None and (
            entry.created_at
            <= returned_at
            <= entry.created_at + timedelta(days=offer.redeem_within_days)
        ):
            redeemed[entry.customer_id] = offer.cost_cny
    cost["redemption_cost_cny"] = sum(redeemed.values())
    return cost


def block_rate(sent: list[LedgerEntry]) -> Kpi:
    complained = sum(e.complained_at is not None for e in sent)
    bounced = sum(e.bounced_at is not None for e in sent)
    blocked = sum(e.complained_at is not None or e.bounced_at is not None for e in sent)
    return _kpi(
        BLOCK_RATE,
        _ratio(blocked, len(sent)),
        {"sent": len(sent), "complained": complained, "bounced": bounced, "blocked": blocked},
        "messages sent in the period that drew a complaint (spam report, provider complaint "
        "receipt) or bounced after the provider accepted them, each message once / messages sent",
    )


def member_cross_purchase() -> Kpi:
    return _kpi(
        MEMBER_CROSS_PURCHASE,
        None,
        {},
        "members who buy across categories or across online and store",
        unavailable="order_paid events carry neither the items' categories nor where the order "
        "was placed (online or in store), so a cross-purchase cannot be told from a repeat "
        "purchase; an order_paid `channel` (online/store) or item categories would make it "
        "computable",
    )


def _started(routing: dict[str, Any] | None, journey: str) -> bool:
    return any(
        route.get("journey") == journey and route.get("action") == STARTED
        for route in (routing or {}).get("journeys", [])
    )
