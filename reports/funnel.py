"""The message funnel per journey, step, channel and experiment arm, from the contact ledger.

Counted per message decided in the period:
- sent: accepted by the provider (status `sent`, or bounced afterwards);
- held_out: a holdout customer's would-be send (suppressed, reason `holdout`), sent nowhere;
- delivered / opened / clicked / complained / bounced / unsubscribed: sent messages whose
  receipt or tracked link set that column of the ledger;
- converted: sent messages followed by a paid order of the customer within the conversion
  window (the experiment's metric window, else the configured default); held_out_converted: the
  same for held-out would-be sends, the baseline the sent ones are compared with. Every message
  before an order gets the credit: this is a funnel, not an attribution model.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from experiments.definitions import Experiment
from reports.period import Period
from reports.records import LedgerEntry, OrderBook, ledger_entries, orders_of
from reports.windows import conversion_window

STAGES = ("sent", "delivered", "opened", "clicked", "converted")


class FunnelCounts(BaseModel):
    sent: int = 0
    held_out: int = 0
    delivered: int = 0
    opened: int = 0
    clicked: int = 0
    converted: int = 0
    held_out_converted: int = 0
    unsubscribed: int = 0
    complained: int = 0
    bounced: int = 0

    def add(self, entry: LedgerEntry, converted: bool) -> None:
        if entry.held_out:
            self.held_out += 1
            self.held_out_converted += converted
        if not entry.sent:
            return
        self.sent += 1
        self.converted += converted
        self.delivered += entry.delivered_at is not None
        self.opened += entry.opened_at is not None
        self.clicked += entry.clicked_at is not None
        self.unsubscribed += entry.unsubscribed_at is not None
        self.complained += entry.complained_at is not None
        self.bounced += entry.bounced_at is not None


class FunnelRow(FunnelCounts):
    journey: str
    step: str
    channel: str | None
    experiment_id: str | None
    arm: str | None


class JourneyFunnel(FunnelCounts):
    journey: str


class Funnel(BaseModel):
    since: datetime
    until: datetime
    journey: str | None
    default_conversion_window: timedelta
    rows: list[FunnelRow]
    journeys: list[JourneyFunnel]
    total: FunnelCounts


async def funnel(
    session: AsyncSession,
    period: Period,
    experiments: Mapping[str, Experiment],
    default_window: timedelta,
    journey: str | None = None,
) -> Funnel:
    entries = [
        e for e in await ledger_entries(session, period, journey=journey) if e.sent or e.held_out
    ]
    windows = {
        e.experiment_id: conversion_window(e.experiment_id, experiments, default_window)
        for e in entries
    }
    longest = max(windows.values(), default=default_window)
    orders = await orders_of(
        session, (e.customer_id for e in entries), period.since, period.until + longest
    )
    rows: dict[tuple[str, str, str, str, str], FunnelRow] = {}
    by_journey: dict[str, JourneyFunnel] = {}
    total = FunnelCounts()
    for entry in entries:
        converted = _converted(entry, orders, windows[entry.experiment_id])
        key = (
            entry.journey,
            entry.step,
            entry.channel or "",
            entry.experiment_id or "",
            entry.arm_id or "",
        )
        row = rows.setdefault(
            key,
            FunnelRow(
                journey=entry.journey,
                step=entry.step,
                channel=entry.channel,
                experiment_id=entry.experiment_id,
                arm=entry.arm_id,
            ),
        )
        for counts in (
            row,
            by_journey.setdefault(entry.journey, JourneyFunnel(journey=entry.journey)),
            total,
        ):
            counts.add(entry, converted)
    return Funnel(
        since=period.since,
        until=period.until,
        journey=journey,
        default_conversion_window=default_window,
        rows=[rows[key] for key in sorted(rows)],
        journeys=[by_journey[name] for name in sorted(by_journey)],
        total=total,
    )


def _converted(entry: LedgerEntry, orders: OrderBook, window: timedelta) -> bool:
    return orders.first_within(entry.customer_id, entry.created_at, window) is not None
