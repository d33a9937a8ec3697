"""The figures a customer's tags, health score, stage and value are computed from.

Pure: storage/profiles.py loads a customer's row, their last year of events, every paid order
and the last 180 days of the contact ledger; this module turns them into `Features` as of "now".
No contact detail is read or kept: only the customer id, counts, times and categories.

Event properties read (absent or malformed ones count as nothing): `order_paid` `total`;
`page_viewed` `page_type` ("new_arrivals"); `product_viewed` `new_arrival`;
`support_ticket_closed` `topic`, `sentiment`, `resolution_hours`.
"""

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from journeys.facts_from_events import ACTIVITY_TYPES
from models.behaviour import BehaviourEvent, OrderSummary
from models.channels import CHANNEL_PRIORITY
from models.customers import Customer
from models.events import EventType
from models.profiles import MessageOutcome

DAY = timedelta(days=1)
NEW_ARRIVALS_WINDOW = timedelta(days=7)
# Local hours, by the part of the day they fall in (the `active_hours` tag).
DAYPARTS = ((6, "morning"), (12, "afternoon"), (18, "evening"), (23, "night"))


class ProfileInputs(BaseModel):
    # Built at the first refresh: Customer's is deferred (models/customers.py) and this holds it.
    model_config = ConfigDict(frozen=True, defer_build=True)

    customer_id: str
    customer: Customer | None
    events: tuple[BehaviourEvent, ...] = Field(description="the last year's, oldest first")
    orders: tuple[OrderSummary, ...] = Field(description="every paid order, oldest first")
    messages: tuple[MessageOutcome, ...] = Field(description="the ledger's last 180 days")


class Features(BaseModel):
    """Named figures; tag rules, the health score and the stage refer to them by name."""

    known: bool = Field(description="the backend gave the customer a profile")
    region: str | None = None
    language: str | None = None
    member_tier: str | None = None
    preferred_channel: str | None = Field(None, description="first consented channel")
    refuses_marketing: bool = False

    days_since_first_seen: int | None = None
    days_since_last_activity: int | None = None
    active_days_30d: int = 0

    orders_total: int = 0
    order_days: int = Field(0, description="distinct days with a paid order, all time")
    orders_12m: int = 0
    orders_90d: int = 0
    spend_12m: float = 0.0
    aov_12m: float | None = None
    days_since_last_order: int | None = None
    days_since_first_order: int | None = None
    days_first_to_last_order: int | None = None
    mean_repeat_order_value: float | None = Field(None, description="orders after the first")

    usual_channel: str | None = Field(None, description="most opened or clicked, 90 days")
    active_hours: str | None = Field(None, description="part of the local day most active in")
    support_topics_last3: tuple[str, ...] = ()
    last3_support_about_delivery: bool = False
    after_sales_type: str | None = Field(None, description="latest ticket topic within 90 days")
    tickets_180d: int = 0
    negative_tickets_180d: int = 0
    mean_resolution_hours_180d: float | None = None

    messages_90d: int = 0
    engaged_90d: int = Field(0, description="messages opened or clicked")
    unsubscribes_180d: int = 0
    complaints_180d: int = 0
    browsed_new_arrivals_7d: bool = False


def features(inputs: ProfileInputs, now: datetime) -> Features:
    customer = inputs.customer
    events = [e for e in inputs.events if e.occurred_at <= now]
    orders = [o for o in inputs.orders if o.paid_at <= now]
    messages = [m for m in inputs.messages if m.created_at <= now]
    # What counts as the customer being around, as for dormancy.
    interactions = [e for e in events if e.type in ACTIVITY_TYPES]
    zone = ZoneInfo(customer.timezone if customer else "UTC")
    figures = Features(known=customer is not None)
    if customer is not None:
        attributes = customer.attributes
        figures.region = _text(attributes.get("region"))
        figures.member_tier = _text(attributes.get("member_tier"))
        figures.language = customer.locale.split("-")[0].split("_")[0].lower()
        consented = [c for c in CHANNEL_PRIORITY if customer.consent.get(c)]
        open_channels = [c for c in consented if c not in customer.unsubscribed_channels]
        figures.preferred_channel = open_channels[0].value if open_channels else None
        figures.refuses_marketing = customer.blacklisted or not open_channels
    if events:
        figures.days_since_first_seen = _days(events[0].occurred_at, now)
    if interactions:
        figures.days_since_last_activity = _days(interactions[-1].occurred_at, now)
        recent = [e.occurred_at for e in interactions if now - e.occurred_at < 30 * DAY]
        figures.active_days_30d = len({t.astimezone(zone).date() for t in recent})
        figures.active_hours = _daypart(
            [t.astimezone(zone).hour for t in recent or [interactions[-1].occurred_at]]
        )
    _order_figures(figures, orders, now)
    _support_figures(figures, events, now)
    _message_figures(figures, messages, now)
    figures.browsed_new_arrivals_7d = any(
        now - e.occurred_at <= NEW_ARRIVALS_WINDOW
        and (
            (e.type == EventType.PAGE_VIEWED and e.properties.get("page_type") == "new_arrivals")
            or (e.type == EventType.PRODUCT_VIEWED and e.properties.get("new_arrival") is True)
        )
        for e in events
    )
    return figures


def _order_figures(figures: Features, orders: list[OrderSummary], now: datetime) -> None:
    if not orders:
        return
    year = [o for o in orders if now - o.paid_at < 365 * DAY]
    figures.orders_total = len(orders)
    figures.order_days = len({o.paid_at.date() for o in orders})
    figures.orders_12m = len(year)
    figures.orders_90d = sum(1 for o in year if now - o.paid_at < 90 * DAY)
    figures.spend_12m = round(sum(o.amount for o in year), 2)
    figures.aov_12m = round(figures.spend_12m / len(year), 2) if year else None
    figures.days_since_last_order = _days(orders[-1].paid_at, now)
    figures.days_since_first_order = _days(orders[0].paid_at, now)
    figures.days_first_to_last_order = _days(orders[0].paid_at, orders[-1].paid_at)
    first_day = orders[0].paid_at.date()
    repeats = [o.amount for o in orders if o.paid_at.date() != first_day]
    figures.mean_repeat_order_value = sum(repeats) / len(repeats) if repeats else None


def _support_figures(figures: Features, events: list[BehaviourEvent], now: datetime) -> None:
    tickets = [e for e in events if e.type == EventType.SUPPORT_TICKET_CLOSED]
    topics = [str(e.properties.get("topic")) for e in tickets if e.properties.get("topic")]
    figures.support_topics_last3 = tuple(topics[-3:])
    figures.last3_support_about_delivery = len(topics) >= 3 and set(topics[-3:]) == {"delivery"}
    recent = [e for e in tickets if now - e.occurred_at < 90 * DAY and e.properties.get("topic")]
    figures.after_sales_type = str(recent[-1].properties["topic"]) if recent else None
    half_year = [e for e in tickets if now - e.occurred_at < 180 * DAY]
    figures.tickets_180d = len(half_year)
    figures.negative_tickets_180d = sum(
        1 for e in half_year if e.properties.get("sentiment") == "negative"
    )
    hours = [
        h for e in half_year if (h := _number(e.properties.get("resolution_hours"))) is not None
    ]
    figures.mean_resolution_hours_180d = sum(hours) / len(hours) if hours else None


def _message_figures(figures: Features, messages: list[MessageOutcome], now: datetime) -> None:
    sent = [m for m in messages if m.status == "sent" and now - m.created_at < 90 * DAY]
    engaged = [m for m in sent if m.opened_at or m.clicked_at]
    figures.messages_90d = len(sent)
    figures.engaged_90d = len(engaged)
    channels = Counter(m.channel for m in engaged if m.channel)
    if channels:
        best = max(channels.values())
        # Ties go to the channel the product prefers (in-app, push, WeChat, email, SMS).
        figures.usual_channel = next(
            c.value for c in CHANNEL_PRIORITY if channels.get(c.value) == best
        )
    half_year = [m for m in messages if now - m.created_at < 180 * DAY]
    figures.unsubscribes_180d = sum(1 for m in half_year if m.unsubscribed_at)
    figures.complaints_180d = sum(1 for m in half_year if m.complained_at)


def _daypart(hours: list[int]) -> str:
    parts = Counter(_part_of_day(hour) for hour in hours)
    return max(parts, key=lambda part: (parts[part], part))


def _part_of_day(hour: int) -> str:
    name = "night"
    for start, part in DAYPARTS:
        if hour >= start:
            name = part
    return name


def _days(earlier: datetime, later: datetime) -> int:
    return max(0, (later - earlier) // DAY)


def _text(value: object) -> str | None:
    return str(value)[:64] if isinstance(value, str | int) and not isinstance(value, bool) else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number >= 0 and number == number else None
