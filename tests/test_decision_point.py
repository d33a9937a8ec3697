"""The decision point on both databases: guardrails applied atomically, per customer."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.setup import build_channels
from content import InMemoryCopyCache
from experiments.bandit import BetaPosterior
from experiments.definitions import Arm, Experiment, Metric, Outcome
from experiments.definitions import SendWindow as ArmWindow
from guardrails import FeedbackRules
from journeys.cart_abandonment import CART_ABANDONMENT, STAGE_1_TONE, STAGE_3_OFFER_HOT
from journeys.runs import PrepareMessage
from journeys.spec import Send
from journeys.winback import WINBACK
from models.customers import CustomerProfile
from models.events import Event, EventType
from models.messages import MessageStatus
from models.preferences import CustomerPreferences
from models.tables import MessageRow
from offers.catalogue import load_catalogue
from sending import SendPath
from sending.setup import build_send_path
from storage.consent import unsubscribe
from storage.customers import upsert_customer
from storage.database import create_engine, session_factory
from storage.events import store_event
from storage.experiment_arms import ArmState, save_arm_states
from storage.ledger import messages_for_customer
from storage.preferences import set_preferences
from tests.conftest import make_settings, unique

STAGE_1, STAGE_3 = (s for s in CART_ABANDONMENT.steps if isinstance(s, Send) and s.stage in (1, 3))


class Decider:
    """The send path's decision, with its copy written, as runs that deliver apart take it."""

    def __init__(self, path: SendPath) -> None:
        self.prepare_message = path.prepare


@pytest.fixture
async def decider(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Decider, async_sessionmaker[AsyncSession]]]:
    settings = make_settings(database_url, tmp_path)
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    channels = build_channels(settings, sessions)
    path = build_send_path(settings, sessions, None, channels, InMemoryCopyCache())
    yield Decider(path), sessions
    await engine.dispose()


async def customer(sessions: async_sessionmaker[AsyncSession], timezone: str) -> str:
    customer_id = unique("c")
    profile = CustomerProfile(
        timezone=timezone, email=f"{customer_id}@example.com", consent={"email": True}
    )
    async with sessions.begin() as session:
        await upsert_customer(session, customer_id, profile, datetime.now(UTC))
    return customer_id


def cart_event(customer_id: str, cart_id: str = "cart-1") -> Event:
    return Event(
        event_id=unique("e"),
        customer_id=customer_id,
        type=EventType.CART_UPDATED,
        occurred_at=datetime.now(UTC),
        properties={"cart_id": cart_id, "items": [], "total": 10},
    )


def request(customer_id: str, at: datetime, step: Send = STAGE_1, **changes) -> PrepareMessage:
    workflow_id = unique("cart_abandonment")
    trigger = changes.pop("trigger", None) or cart_event(customer_id)
    return PrepareMessage(
        idempotency_key=f"{workflow_id}:{trigger.event_id}:{step.id}",
        customer_id=customer_id,
        journey="cart_abandonment",
        workflow_id=workflow_id,
        step=step,
        trigger_event=trigger,
        decided_at=at,
        **changes,
    )


def local(timezone: str, hour: int, minute: int = 0) -> datetime:
    """Today (in the zone) at hour:minute, as an aware UTC instant."""
    today = datetime.now(ZoneInfo(timezone)).date()
    naive = datetime(today.year, today.month, today.day, hour, minute)
    return naive.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)


async def test_fifty_racing_journeys_for_the_last_daily_slot_send_exactly_once(decider) -> None:
    activities, sessions = decider
    zone = "Asia/Shanghai"
    customer_id = await customer(sessions, zone)
    noon = local(zone, 12)
    for _ in range(2):  # two of the three daily slots taken
        first = await activities.prepare_message(request(customer_id, noon))
        assert first.status == MessageStatus.PENDING

    results = await asyncio.gather(
        *(activities.prepare_message(request(customer_id, noon)) for _ in range(50))
    )

    sent = [r for r in results if r.status == MessageStatus.PENDING]
    deferred = [r for r in results if r.status == MessageStatus.DEFERRED]
    assert len(sent) == 1 and len(deferred) == 49
    next_morning = local(zone, 9) + timedelta(days=1)
    assert {(r.rule, r.reason, r.deferred_until) for r in deferred} == {
        ("daily_cap", "daily_cap", next_morning)
    }
    async with sessions() as session:
        assert len(await messages_for_customer(session, customer_id)) == 52


async def test_quiet_hours_follow_the_customers_own_clock(decider) -> None:
    activities, sessions = decider
    shanghai = await customer(sessions, "Asia/Shanghai")
    los_angeles = await customer(sessions, "America/Los_Angeles")
    at = local("Asia/Shanghai", 0, 30)  # 00:30 in Shanghai is 08:30 or 09:30 in Los Angeles

    late = await activities.prepare_message(request(shanghai, at))
    assert (late.status, late.rule) == (MessageStatus.DEFERRED, "quiet_hours")
    assert late.deferred_until == local("Asia/Shanghai", 9)
    la_hour = at.astimezone(ZoneInfo("America/Los_Angeles")).hour
    awake = await activities.prepare_message(request(los_angeles, at))
    if la_hour >= 9:
        assert awake.status == MessageStatus.PENDING
    else:  # the half of the year Los Angeles is on standard time it is 08:30 there
        assert awake.deferred_until is not None
        assert awake.deferred_until.astimezone(ZoneInfo("America/Los_Angeles")).hour == 9


async def test_a_paid_cart_gets_no_discount(decider) -> None:
    activities, sessions = decider
    customer_id = await customer(sessions, "UTC")
    trigger = cart_event(customer_id, cart_id="cart-77")
    paid = Event(
        event_id=unique("e"),
        customer_id=customer_id,
        type=EventType.ORDER_PAID,
        occurred_at=datetime.now(UTC),
        properties={"order_id": "o-1", "cart_id": "cart-77"},
    )
    await store_event(sessions, paid, datetime.now(UTC))

    decision = await activities.prepare_message(
        request(customer_id, local("UTC", 12), STAGE_3, trigger=trigger)
    )
    assert (decision.status, decision.rule) == (MessageStatus.SUPPRESSED, "order_status")


async def test_unsubscribe_stops_decided_but_undelivered_messages(decider) -> None:
    activities, sessions = decider
    customer_id = await customer(sessions, "UTC")
    pending = await activities.prepare_message(request(customer_id, local("UTC", 12)))
    assert pending.status == MessageStatus.PENDING

    settings = make_settings("sqlite://", Path("/tmp"))
    async with sessions.begin() as session:
        assert await unsubscribe(
            session, customer_id, None, datetime.now(UTC), FeedbackRules(settings.guardrails)
        )
    async with sessions() as session:
        [row] = await messages_for_customer(session, customer_id)
    assert (row.status, row.reason) == (MessageStatus.SUPPRESSED, "unsubscribed")

    later = await activities.prepare_message(request(customer_id, local("UTC", 13)))
    assert later.status == MessageStatus.SUPPRESSED


async def test_holdout_records_the_would_be_send_and_delivers_nothing(decider) -> None:
    activities, sessions = decider
    customer_id = await customer(sessions, "UTC")
    decision = await activities.prepare_message(
        request(customer_id, local("UTC", 12), holdout=True)
    )
    assert (decision.status, decision.reason, decision.channel) == (
        MessageStatus.SUPPRESSED,
        "holdout",
        "email",
    )


async def test_a_retried_decision_returns_the_recorded_one(decider) -> None:
    activities, sessions = decider
    customer_id = await customer(sessions, "UTC")
    ask = request(customer_id, local("UTC", 12))
    first, again = await asyncio.gather(
        activities.prepare_message(ask), activities.prepare_message(ask)
    )
    assert first.message_id == again.message_id
    assert first.content == again.content
    async with sessions() as session:
        assert len(await messages_for_customer(session, customer_id)) == 1


async def test_a_retry_after_the_customer_changed_returns_the_decision_it_made(decider) -> None:
    activities, sessions = decider
    customer_id = await customer(sessions, "UTC")
    ask = request(customer_id, local("UTC", 12))
    first = await activities.prepare_message(ask)
    async with sessions.begin() as session:  # consent withdrawn: a fresh decision would suppress
        profile = CustomerProfile(timezone="UTC", email=f"{customer_id}@example.com", consent={})
        await upsert_customer(session, customer_id, profile, datetime.now(UTC))

    again = await activities.prepare_message(ask)

    assert first.status == MessageStatus.PENDING
    assert again == first
    async with sessions() as session:
        assert len(await messages_for_customer(session, customer_id)) == 1


async def test_a_service_winback_gets_a_non_monetary_offer_by_expected_value(decider) -> None:
    activities, sessions = decider
    customer_id = await customer(sessions, "UTC")
    step = next(s for s in WINBACK.steps if isinstance(s, Send) and s.id == "light_service")
    dormant = Event(
        event_id=unique("e"),
        customer_id=customer_id,
        type=EventType.CUSTOMER_DORMANT,
        occurred_at=datetime.now(UTC),
        properties={"tier": "light", "reason": "service"},
    )
    decision = await activities.prepare_message(
        request(
            customer_id,
            local("UTC", 19),
            step,
            trigger=dormant,
            guardrail_kind="winback",
            winback_tier="light",
            winback_reason="service",
        )
    )
    assert decision.status == MessageStatus.PENDING
    offer = load_catalogue().get(decision.benefit_id)
    assert offer.kind == "non_monetary" and "service" in offer.reasons


async def test_a_copy_test_splits_customers_stably_and_records_the_arm(decider) -> None:
    activities, sessions = decider
    noon = local("UTC", 12)
    customers = [await customer(sessions, "UTC") for _ in range(24)]
    first = [await activities.prepare_message(request(c, noon)) for c in customers]
    again = [
        await activities.prepare_message(request(c, noon + timedelta(hours=1))) for c in customers
    ]

    assert {d.experiment_id for d in first} == {STAGE_1_TONE.id}
    arms = [d.arm_id for d in first]
    assert set(arms) == {"rational", "emotional"}  # 24 customers: both arms, 2^-23 chance not
    assert arms == [d.arm_id for d in again]  # the same customer always gets the same arm
    titles = {d.arm_id: d.content.title for d in first}
    assert titles["rational"] != titles["emotional"]


async def test_the_bandit_follows_its_stored_posteriors_for_hot_customers(decider) -> None:
    activities, sessions = decider
    async with sessions.begin() as session:
        await save_arm_states(
            session,
            [
                ArmState(
                    experiment_id=STAGE_3_OFFER_HOT.id,
                    arm_id="free_shipping",
                    posterior=BetaPosterior(successes=90, failures=10),
                    pending=0,
                    probability_best=None,
                    refreshed_at=datetime.now(UTC),
                ),
                ArmState(
                    experiment_id=STAGE_3_OFFER_HOT.id,
                    arm_id="coupon_10",
                    posterior=BetaPosterior(successes=10, failures=90),
                    pending=0,
                    probability_best=None,
                    refreshed_at=datetime.now(UTC),
                ),
            ],
        )
    picks = []
    noon = local("UTC", 12)
    for _ in range(20):
        customer_id = await hot_customer(sessions, noon)
        decision = await activities.prepare_message(request(customer_id, noon, STAGE_3))
        assert decision.segment == "hot" and decision.experiment_id == STAGE_3_OFFER_HOT.id
        picks.append((decision.arm_id, decision.benefit_id))
    free = [benefit for arm, benefit in picks if arm == "free_shipping"]
    assert len(free) >= 15  # Thompson sampling with a 10 % exploration floor
    assert set(free) == {"CART_FREE_SHIPPING"}


async def hot_customer(sessions: async_sessionmaker[AsyncSession], now: datetime) -> str:
    """A repeat buyer with a full cart at `now` (the decision's time, whatever the clock says):
    hot by the cold-start rules."""
    customer_id = await customer(sessions, "UTC")
    history = [
        (EventType.ORDER_PAID, now - timedelta(days=d), {"order_id": f"o{d}", "total": 400})
        for d in (3, 10, 20, 40, 60)
    ]
    items = [{"sku": f"s{i}", "name": "x", "price": 10, "quantity": 1} for i in range(3)]
    history.append((EventType.CART_UPDATED, now, {"cart_id": "c9", "items": items, "total": 30}))
    for kind, at, properties in history:
        event = Event(
            event_id=unique("e"),
            customer_id=customer_id,
            type=kind,
            occurred_at=at,
            properties=properties,
        )
        await store_event(sessions, event, now)
    return customer_id


async def test_a_send_that_is_not_urgent_waits_for_the_active_window(decider) -> None:
    activities, sessions = decider
    zone = "Asia/Shanghai"
    customer_id = await customer(sessions, zone)  # no history: the default 19:00-21:00 window
    patient = STAGE_1.model_copy(update={"timing": "active_window", "experiment": None})

    early = await activities.prepare_message(request(customer_id, local(zone, 12), patient))
    assert (early.status, early.rule, early.reason) == (
        MessageStatus.DEFERRED,
        "send_window",
        "outside_active_window",
    )
    assert early.deferred_until == local(zone, 19)
    inside = await activities.prepare_message(request(customer_id, local(zone, 19, 30), patient))
    assert inside.status == MessageStatus.PENDING


async def test_a_timing_arm_holds_the_send_for_its_window(decider) -> None:
    activities, sessions = decider
    zone = "Asia/Shanghai"
    customer_id = await customer(sessions, zone)
    evening = Experiment(
        id="cart_stage1_timing_test",
        journey="cart_abandonment",
        step="stage_1",
        arms=(Arm(id="evening", send_window=ArmWindow(start=time(19), end=time(20, 30))),),
        metric=Metric(outcome=Outcome.CLICK, window=timedelta(days=1)),
    )
    step = STAGE_1.model_copy(update={"experiment": evening})
    decision = await activities.prepare_message(request(customer_id, local(zone, 12), step))
    assert (decision.status, decision.rule, decision.arm_id) == (
        MessageStatus.DEFERRED,
        "send_window",
        "evening",
    )
    assert decision.deferred_until == local(zone, 19)


async def test_an_unsubscribe_by_link_counts_against_the_latest_message(decider) -> None:
    activities, sessions = decider
    customer_id = await customer(sessions, "UTC")
    first = await activities.prepare_message(request(customer_id, local("UTC", 10)))
    latest = await activities.prepare_message(request(customer_id, local("UTC", 11)))
    async with sessions.begin() as session:
        for message_id in (first.message_id, latest.message_id):
            (await session.get(MessageRow, message_id)).status = MessageStatus.SENT
    rules = make_settings("sqlite://", Path("/tmp")).guardrails
    async with sessions.begin() as session:
        await unsubscribe(session, customer_id, None, datetime.now(UTC), FeedbackRules(rules))
    async with sessions() as session:
        marked = {
            m: (await session.get(MessageRow, m)).unsubscribed_at is not None
            for m in (first.message_id, latest.message_id)
        }
    assert marked == {first.message_id: False, latest.message_id: True}


async def test_the_customers_own_preferences_are_read_with_the_lock(decider) -> None:
    activities, sessions = decider
    zone = "Asia/Shanghai"
    customer_id = await customer(sessions, zone)
    own = CustomerPreferences(
        quiet_hours_start=time(20), quiet_hours_end=time(10, 30), max_per_day=1
    )
    async with sessions.begin() as session:
        assert await set_preferences(session, customer_id, own, datetime.now(UTC))
    tomorrow_at_half_past_ten = local(zone, 10, 30) + timedelta(days=1)

    at_nine_pm = await activities.prepare_message(request(customer_id, local(zone, 21)))
    at_noon = await activities.prepare_message(request(customer_id, local(zone, 12)))
    at_four = await activities.prepare_message(request(customer_id, local(zone, 16)))

    assert (at_nine_pm.status, at_nine_pm.rule, at_nine_pm.rule_source) == (
        MessageStatus.DEFERRED,
        "quiet_hours",
        "customer",
    )
    assert at_nine_pm.deferred_until == tomorrow_at_half_past_ten
    assert at_noon.status == MessageStatus.PENDING
    assert (at_four.status, at_four.rule, at_four.rule_source) == (
        MessageStatus.DEFERRED,
        "daily_cap",
        "customer",
    )
    # The cap's next morning (09:00) falls in the customer's own quiet hours: it waits for 10:30.
    assert at_four.deferred_until == tomorrow_at_half_past_ten
    async with sessions() as session:
        ledger = await messages_for_customer(session, customer_id)
    [stored] = [m for m in ledger if m.rule == "daily_cap"]
    assert stored.rule_source == "customer"
