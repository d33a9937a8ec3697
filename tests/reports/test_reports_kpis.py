"""Each KPI on a small data set worked out by hand, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.messages import MessageStatus
from models.tables import MessageRow
from offers.catalogue import load_catalogue
from reports.kpis import Kpi, KpiReport, kpi_report
from reports.period import Period
from reports.settings import ReportSettings
from tests.conftest import unique
from tests.reports.seed import cart_started, event, held_out, message, order, period_start, seed

DAY = timedelta(days=1)
OFFERS = {offer.offer_id: offer for offer in load_catalogue().offers}


async def report(
    sessions: async_sessionmaker[AsyncSession], period: Period, now_offset: timedelta
) -> dict[str, Kpi]:
    async with sessions() as session:
        result: KpiReport = await kpi_report(
            session, period, period.since + now_offset, ReportSettings(), OFFERS
        )
    return {kpi.key: kpi for kpi in result.kpis}


async def test_first_order_conversion_counts_orders_within_30_days_of_signup(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    t0 = period_start()
    c = [unique("signup") for _ in range(6)]
    await seed(
        sessions,
        event(c[0], "signup", t0 + DAY),
        order(c[0], t0 + 5 * DAY),  # converted
        event(c[1], "signup", t0 + 2 * DAY),
        order(c[1], t0 + 2 * DAY + 31 * DAY),  # a day too late
        event(c[2], "signup", t0 + 3 * DAY),  # never ordered
        event(c[3], "signup", t0 + 4 * DAY),
        order(c[3], t0 + 3 * DAY),  # before the signup: not a conversion after it
        event(c[4], "signup", t0 - DAY),  # signed up before the period: not in the cohort
        order(c[4], t0 + DAY),
        event(c[5], "signup", t0 + 9 * DAY),
        event(c[5], "signup", t0 + 9 * DAY + timedelta(hours=1)),  # a repeat counts once
        order(c[5], t0 + 39 * DAY),  # exactly 30 days after the first signup: still counts
    )
    period = Period(since=t0, until=t0 + 10 * DAY)

    kpis = await report(sessions, period, now_offset=20 * DAY)

    kpi = kpis["first_order_conversion"]
    assert kpi.counts == {"signups": 5, "converted": 2}
    assert kpi.value == pytest.approx(2 / 5)
    assert (kpi.target, kpi.baseline, kpi.direction) == (0.18, 0.08, "at_least")
    assert kpi.meets_target is True
    # At day 20 the windows of the signups after day -10 are open: all five.
    assert kpi.open_windows == 5
    later = await report(sessions, period, now_offset=50 * DAY)
    assert later["first_order_conversion"].open_windows == 0


async def test_ctr_unsubscribe_and_block_rates_count_sent_messages(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    t0 = period_start()
    at = t0 + DAY
    c = [unique("msg") for _ in range(9)]
    await seed(
        sessions,
        message(c[0], at, channel="email", delivered_at=at, clicked_at=at, opened_at=at),
        message(c[1], at, channel="sms", unsubscribed_at=at + timedelta(hours=1)),
        message(c[2], at, channel="push", clicked_at=at + timedelta(hours=2)),
        # Bounced after the provider took it: sent, and blocked.
        message(c[3], at, channel="email", status=MessageStatus.FAILED, bounced_at=at),
        message(c[4], at, channel="inapp", complained_at=at),
        # Complained and bounced: blocked once.
        message(
            c[5], at, channel="email", status=MessageStatus.FAILED, bounced_at=at, complained_at=at
        ),
        # Not sent: none of these count.
        message(c[6], at, channel="wechat", status=MessageStatus.SUPPRESSED, reason="daily_cap"),
        message(c[7], at, channel="email", status=MessageStatus.DEFERRED, reason="quiet_hours"),
        message(c[8], at, channel="email", status=MessageStatus.FAILED, reason="provider_error"),
        held_out(c[8], at, "some_experiment"),
        # Before the period.
        message(c[0], t0 - DAY, channel="email", clicked_at=t0 - DAY),
    )

    kpis = await report(sessions, Period(since=t0, until=t0 + 10 * DAY), now_offset=40 * DAY)

    ctr = kpis["cross_channel_ctr"]
    assert ctr.counts["sent"] == 6 and ctr.counts["clicked"] == 2
    assert ctr.counts["sent_email"] == 3 and ctr.counts["clicked_email"] == 1
    assert ctr.counts["sent_push"] == 1 and ctr.counts["clicked_push"] == 1
    assert ctr.value == pytest.approx(2 / 6)
    assert ctr.meets_target is True

    unsubscribed = kpis["unsubscribe_rate"]
    assert unsubscribed.counts == {"sent": 4, "unsubscribed": 1}  # SMS and email only
    assert unsubscribed.value == pytest.approx(0.25)
    assert unsubscribed.direction == "at_most" and unsubscribed.meets_target is False

    blocked = kpis["block_rate"]
    assert blocked.counts == {"sent": 6, "complained": 2, "bounced": 2, "blocked": 3}
    assert blocked.value == pytest.approx(0.5)
    assert blocked.target == 0.016 and blocked.meets_target is False


async def test_cart_recovery_counts_carts_that_started_a_journey_and_were_paid_within_24h(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    t0 = period_start()
    c = [unique("cart") for _ in range(6)]
    await seed(
        sessions,
        cart_started(c[0], t0 + DAY, "cart-a"),
        order(c[0], t0 + DAY + timedelta(hours=3), cart_id="cart-a"),  # recovered
        cart_started(c[1], t0 + 2 * DAY, "cart-b"),
        order(c[1], t0 + 2 * DAY + timedelta(hours=2), cart_id="cart-other"),  # another cart
        cart_started(c[2], t0 + 3 * DAY, "cart-d"),
        order(c[2], t0 + 3 * DAY + timedelta(hours=23)),  # names no cart: counts
        cart_started(c[3], t0 + 4 * DAY, "cart-e"),
        order(c[3], t0 + 5 * DAY + timedelta(hours=1), cart_id="cart-e"),  # 25 h: too late
        # A cart update that only restarted a running journey, and one never routed.
        cart_started(c[4], t0 + 5 * DAY, "cart-f", action="signalled"),
        order(c[4], t0 + 5 * DAY + timedelta(hours=1), cart_id="cart-f"),
        event(c[5], "cart_updated", t0 + 5 * DAY, {"cart_id": "cart-g"}),
        order(c[5], t0 + 5 * DAY + timedelta(hours=1), cart_id="cart-g"),
    )

    kpis = await report(sessions, Period(since=t0, until=t0 + 10 * DAY), now_offset=10 * DAY)

    recovery = kpis["cart_recovery"]
    assert recovery.counts == {"carts": 4, "recovered": 2}
    assert recovery.value == pytest.approx(0.5)
    assert recovery.target == 0.20 and recovery.meets_target is True
    assert recovery.open_windows == 0


async def test_winback_return_rate_and_cost_per_reactivation(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    t0 = period_start()
    c = [unique("wb") for _ in range(7)]

    def winback(customer: str, day: float, benefit: str | None = None) -> MessageRow:
        return message(
            customer,
            t0 + day * DAY,
            journey="winback",
            step="price_message",
            channel="push",
            benefit_id=benefit,
            experiment_id="winback_holdout_v1",
            arm_id="winback",
        )

    await seed(
        sessions,
        # Two coupons, then back on day 6: the 5 CNY coupon (the latest valid one) was used.
        winback(c[0], 1, "WB_COUPON_10"),
        winback(c[0], 4, "WB_COUPON_5"),
        order(c[0], t0 + 6 * DAY),
        # Priority support costs on grant, return or not; never came back.
        winback(c[1], 2, "WB_PRIORITY_SUPPORT"),
        # Back on day 13, but the 20 CNY coupon was only valid 7 days: no coupon cost.
        winback(c[2], 3, "WB_COUPON_20"),
        order(c[2], t0 + 13 * DAY),
        # No offer, back after 31 days: not a return.
        winback(c[3], 5),
        order(c[3], t0 + 36 * DAY),
        # Held out: not in the KPI (it is in the lift).
        held_out(c[4], t0 + 5 * DAY, "winback_holdout_v1", journey="winback"),
        order(c[4], t0 + 6 * DAY),
        # An offer the catalogue does not know: counted as such, no cost.
        winback(c[5], 6, "NO_SUCH_OFFER"),
        # Priority support and back two days later.
        winback(c[6], 7, "WB_PRIORITY_SUPPORT"),
        order(c[6], t0 + 9 * DAY),
    )

    kpis = await report(sessions, Period(since=t0, until=t0 + 20 * DAY), now_offset=60 * DAY)

    returned = kpis["winback_return_rate"]
    assert returned.counts == {"customers": 6, "returned": 3}
    assert returned.value == pytest.approx(0.5)
    assert returned.meets_target is True
    cost = kpis["cost_per_reactivation"]
    assert cost.counts == {
        "offers_sent": 6,
        "unknown_offers": 1,
        "grant_cost_cny": pytest.approx(3.0),
        "redemption_cost_cny": pytest.approx(5.0),
        "returned": 3,
    }
    assert cost.value == pytest.approx(8.0 / 3)
    assert (cost.unit, cost.target, cost.baseline) == ("cny", 4.0, 5.6)
    assert cost.meets_target is True


async def test_an_empty_period_has_no_values_and_member_cross_purchase_says_why(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    t0 = period_start()
    kpis = await report(sessions, Period(since=t0, until=t0 + DAY), now_offset=DAY)
    assert len(kpis) == 8
    for key, kpi in kpis.items():
        assert kpi.value is None and kpi.meets_target is None, key
    cross = kpis["member_cross_purchase"]
    assert cross.unavailable is not None and "order_paid" in cross.unavailable
    assert (cross.baseline, cross.target) == (0.15, 0.22)
