"""A customer's branch facts from their profile and their own events, as of a given moment.

Pure: the activity loads the events (storage.behaviour) and hands them over with "now" from the
workflow. Intent comes from the scoring package (its model, or its rules when the customer has too
little data); dormancy tier and reason from the dormancy package, fed with counts taken from the
events below; the usual store-visit day from `store_visit` events.

Event properties read for dormancy reasons (absent ones count as nothing):
`page_viewed` `page_type` ("sale", "category"), `price_filter`, `category`; `product_viewed`
`category`, `in_stock`; `cart_updated` `cart_id`, `total`; `order_paid` `cart_id`, `coupon_id`;
`support_ticket_closed` `sentiment`.
"""

from collections import Counter
from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dormancy.assessment import assess_dormancy
from dormancy.labels import DormancyReason, DormancyTier
from dormancy.settings import DormancySettings
from dormancy.summary import ActivitySummary
from journeys.facts import CustomerFacts
from models.behaviour import BehaviourEvent, OrderSummary
from models.customers import Customer
from models.events import Event, EventType
from scoring.intent import score_customer
from scoring.model import IntentModel
from scoring.send_time import activity_times, learn_send_window
from scoring.settings import ScoringSettings

# What counts as the customer being around (the dormancy clock restarts on each).
ACTIVITY_TYPES = frozenset(
    {
        EventType.SIGNUP,
        EventType.PAGE_VIEWED,
        EventType.PRODUCT_VIEWED,
        EventType.SESSION_ENDED,
        EventType.CART_UPDATED,
        EventType.ORDER_PAID,
        EventType.MESSAGE_OPENED,
        EventType.MESSAGE_CLICKED,
        EventType.STORE_VISIT,
        EventType.SUPPORT_TICKET_CLOSED,
    }
)
# Dormancy reasons are judged on how the customer behaved while still around.
REASON_LOOKBACK = timedelta(days=90)
# A store habit needs at least this many visits within this window.
STORE_HABIT_WINDOW = timedelta(days=180)
STORE_HABIT_MIN_VISITS = 2


def customer_facts(
    customer: Customer | None,
    events: Sequence[BehaviourEvent],
    orders: Sequence[OrderSummary],
    now: datetime,
    *,
    model: IntentModel | None,
    scoring: ScoringSettings,
    dormancy: DormancySettings,
    tags: dict[str, Any],
    health_score: float | None,
    trigger: Event | None = None,
    send_window: bool = False,
    attributes: Collection[str] | None = None,
) -> CustomerFacts:
    """`attributes`: the profile attributes the journey reads; the others stay out of the facts
    (which the workflow's history records). None: all of them."""
    if customer is None:
        return CustomerFacts(known=False)
    past = [event for event in events if event.occurred_at <= now]
    intent = score_customer(past, orders, now, model, scoring, timezone_name=customer.timezone)
    facts = CustomerFacts(
        timezone=customer.timezone,
        consent=customer.consent,
        attributes={
            name: value
            for name, value in customer.attributes.items()
            if attributes is None or name in attributes
        },
        intent_score=intent.score,
        segment=intent.segment,
        intent_source=intent.source,
        rfm_top20=tags.get("rfm_top20") is True,
        tags=tags,
        health_score=health_score,
    )
    if send_window:
        gap = timedelta(minutes=scoring.session_gap_minutes)
        facts.send_window = learn_send_window(
            activity_times(past, gap), customer.timezone, scoring.send_time
        )
    summary = activity_summary(customer.customer_id, past, now)
    if summary is not None:
        assessment = assess_dormancy(summary, now, dormancy)
        facts.dormancy_tier = assessment.tier
        facts.dormancy_reason = assessment.reason
        facts.days_inactive = assessment.days_inactive
    if trigger is not None and trigger.type == EventType.CUSTOMER_DORMANT:
        # The backend's own inactivity scan knows best when it says so.
        if tier := trigger.properties.get("tier"):
            facts.dormancy_tier = DormancyTier(tier)
        if reason := trigger.properties.get("reason"):
            facts.dormancy_reason = DormancyReason(reason)
    visits = [e.occurred_at for e in past if e.type == EventType.STORE_VISIT]
    weekday = usual_store_weekday(visits, now, customer.timezone)
    if weekday is not None:
        facts.usual_store_weekday = weekday
        facts.next_store_visit = next_store_visit(weekday, now, customer.timezone)
    return facts


def activity_summary(
    customer_id: str, events: Sequence[BehaviourEvent], now: datetime
) -> ActivitySummary | None:
    """The dormancy package's input; None when nothing the customer did is on record."""
    active = [e for e in events if e.type in ACTIVITY_TYPES and e.occurred_at <= now]
    if not active:
        return None
    last_activity = max(e.occurred_at for e in active)
    recent = [e for e in active if e.occurred_at >= last_activity - REASON_LOOKBACK]
    orders = [e for e in active if e.type == EventType.ORDER_PAID]
    paid_carts = {e.properties.get("cart_id") for e in orders} - {None}
    carts: dict[str, float] = {}
    for event in recent:
        if event.type == EventType.CART_UPDATED and event.properties.get("cart_id"):
            carts[str(event.properties["cart_id"])] = _number(event.properties.get("total"))
    pages = [e for e in recent if e.type == EventType.PAGE_VIEWED]
    views = [e for e in recent if e.type in (EventType.PAGE_VIEWED, EventType.PRODUCT_VIEWED)]
    tickets = [e for e in recent if e.type == EventType.SUPPORT_TICKET_CLOSED]
    order_days = {e.occurred_at.date() for e in orders}
    return ActivitySummary(
        customer_id=customer_id,
        last_activity_at=last_activity,
        first_order_at=min((e.occurred_at for e in orders), default=None),
        last_order_at=max((e.occurred_at for e in orders), default=None),
        order_days=len(order_days),
        orders=len(orders),
        coupon_orders=sum(1 for e in orders if e.properties.get("coupon_id")),
        price_filter_uses=sum(1 for e in pages if e.properties.get("price_filter") is True),
        sale_page_views=sum(1 for e in pages if e.properties.get("page_type") == "sale"),
        abandoned_cart_values_cny=tuple(
            total for cart_id, total in carts.items() if cart_id not in paid_carts
        ),
        category_page_views=sum(1 for e in pages if e.properties.get("page_type") == "category"),
        distinct_categories_viewed=len(
            {e.properties["category"] for e in views if e.properties.get("category")}
        ),
        out_of_stock_hits=sum(
            1
            for e in recent
            if e.type == EventType.PRODUCT_VIEWED and e.properties.get("in_stock") is False
        ),
        support_tickets=len(tickets),
        negative_sentiment_events=sum(
            1 for e in tickets if e.properties.get("sentiment") == "negative"
        ),
    )


def usual_store_weekday(visits: Sequence[datetime], now: datetime, timezone: str) -> int | None:
    """The local weekday of most recent store visits (ties: the latest visit's), or None."""
    recent = sorted(v for v in visits if now - STORE_HABIT_WINDOW <= v <= now)
    if len(recent) < STORE_HABIT_MIN_VISITS:
        return None
    zone = ZoneInfo(timezone)
    weekdays = [visit.astimezone(zone).weekday() for visit in recent]
    counts = Counter(weekdays)
    best = max(counts.values())
    return next(day for day in reversed(weekdays) if counts[day] == best)


def next_store_visit(weekday: int, now: datetime, timezone: str) -> date:
    """The next usual visit day from the day after tomorrow on, so a reminder the day before is
    never already past."""
    first = now.astimezone(ZoneInfo(timezone)).date() + timedelta(days=2)
    return first + timedelta(days=(weekday - first.weekday()) % 7)


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return 0.0
    try:
        return max(0.0, float(value))
    except ValueError:
        return 0.0
