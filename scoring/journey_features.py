"""A customer's own events and orders turned into what the intent score reads.

Events read (anything else is ignored):
- `page_viewed` (property `page_type`: administrative / informational / product; anything else
  or nothing counts as informational, the type that says least about buying) and
  `product_viewed` (always a product page). Optional properties of a view: `duration_seconds`,
  `bounce` and `exit` (flags of this customer's view), the catalog's analytics statistics of the
  page `page_value`, `bounce_rate`, `exit_rate`, and `special_day` (0-1, closeness to a
  promotion day, from the backend's calendar), and `session_id`.
- `session_ended` closes the current session.
- `cart_updated` (`items` with `quantity`, or `item_count`) and `order_paid` for cart depth;
  `message_opened` / `message_clicked` for engagement.
Property values of the wrong type are ignored, as if absent.

Sessions: views are grouped by `session_id` where given, otherwise a session ends at
`session_ended` or after `session_gap_minutes` without a view (the Google Analytics rule the
training data was made with). The model features come from the latest session:

| model feature | from the latest session |
|---|---|
| Administrative, Informational, ProductRelated | number of views of each page type |
| *_Duration | sum of `duration_seconds`; where absent, the time to the session's next event, |
|            | and 0 for its last view (how Google Analytics measures time on page) |
| BounceRates, ExitRates | mean over views of the page's catalog `bounce_rate` / `exit_rate`, or |
|            | where absent 0.2 for a view flagged `bounce` / `exit` and 0 otherwise (0.2 is |
|            | what single-page sessions carry in the training data) |
| PageValues | mean over views of the catalog `page_value`, 0 where absent (Google Analytics |
|            | gives 0 to a page never seen before a purchase) |
| SpecialDay | largest `special_day` of the session's views, else 0 |
| Month, Weekend | the session's first view, in the customer's time zone |
| VisitorType | Returning_Visitor if an earlier session or an order exists, else New_Visitor |

Orders give RFM: recency (days since the latest paid order), frequency (paid orders) and
monetary (total paid); only what happened up to `now` counts.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from models.behaviour import BehaviourEvent, OrderSummary
from scoring.features import VISITOR_TYPE_CODES

PAGE_VIEWED = "page_viewed"
PRODUCT_VIEWED = "product_viewed"
SESSION_ENDED = "session_ended"
CART_UPDATED = "cart_updated"
ORDER_PAID = "order_paid"
MESSAGE_OPENED = "message_opened"
MESSAGE_CLICKED = "message_clicked"
VIEW_TYPES = frozenset({PAGE_VIEWED, PRODUCT_VIEWED})
_SESSION_TYPES = VIEW_TYPES | {SESSION_ENDED}

_PAGE_TYPE_COLUMNS = {
    "administrative": "Administrative",
    "informational": "Informational",
    "product": "ProductRelated",
}
FLAGGED_RATE = 0.2


@dataclass(frozen=True)
class RFM:
    recency_days: float | None  # None: never ordered
    frequency: int
    monetary: float


def split_sessions(events: Sequence[BehaviourEvent], gap: timedelta) -> list[list[BehaviourEvent]]:
    """Views and `session_ended` markers grouped into sessions, oldest first; `events` must be
    sorted by time. A session holds at least one view."""
    sessions: list[list[BehaviourEvent]] = []
    current: list[BehaviourEvent] = []
    for event in events:
        if event.type not in _SESSION_TYPES:
            continue
        if current and _starts_new_session(current, event, gap):
            sessions.append(current)
            current = []
        if event.type == SESSION_ENDED and not current:
            continue  # an end marker with no views before it carries nothing
        current.append(event)
    if current:
        sessions.append(current)
    return [session for session in sessions if any(e.type in VIEW_TYPES for e in session)]


def _starts_new_session(
    current: list[BehaviourEvent], event: BehaviourEvent, gap: timedelta
) -> bool:
    last = current[-1]
    if last.type == SESSION_ENDED:
        return True
    session_id, last_session_id = (
        event.properties.get("session_id"),
        last.properties.get("session_id"),
    )
    if session_id is not None and last_session_id is not None:
        return session_id != last_session_id
    return event.occurred_at - last.occurred_at > gap


def view_count(session: Sequence[BehaviourEvent]) -> int:
    return sum(1 for event in session if event.type in VIEW_TYPES)


def session_features(
    session: Sequence[BehaviourEvent], returning: bool, timezone: ZoneInfo
) -> dict[str, float]:
    """The model's encoded features for one session (see the module docstring)."""
    features = {column: 0.0 for column in _PAGE_TYPE_COLUMNS.values()}
    features |= {f"{column}_Duration": 0.0 for column in _PAGE_TYPE_COLUMNS.values()}
    views = 0
    bounce_sum = exit_sum = value_sum = special_day = 0.0
    first_view: datetime | None = None
    for position, event in enumerate(session):
        if event.type not in VIEW_TYPES:
            continue
        views += 1
        first_view = first_view or event.occurred_at
        props = event.properties
        column = _page_column(event)
        features[column] += 1.0
        features[f"{column}_Duration"] += _view_seconds(session, position)
        bounce_sum += _rate(props, "bounce_rate", "bounce")
        exit_sum += _rate(props, "exit_rate", "exit")
        value_sum += _number(props.get("page_value")) or 0.0
        special_day = max(special_day, min(_number(props.get("special_day")) or 0.0, 1.0))
    if first_view is None:
        raise ValueError("a session needs at least one view")
    local_start = first_view.astimezone(timezone)
    visitor = "Returning_Visitor" if returning else "New_Visitor"
    return features | {
        "BounceRates": bounce_sum / views,
        "ExitRates": exit_sum / views,
        "PageValues": value_sum / views,
        "SpecialDay": special_day,
        "Month": float(local_start.month),
        "VisitorType": float(VISITOR_TYPE_CODES[visitor]),
        "Weekend": float(local_start.weekday() >= 5),
    }


def _page_column(event: BehaviourEvent) -> str:
    if event.type == PRODUCT_VIEWED:
        return "ProductRelated"
    page_type = event.properties.get("page_type")
    if isinstance(page_type, str):
        return _PAGE_TYPE_COLUMNS.get(page_type.strip().lower(), "Informational")
    return "Informational"


def _view_seconds(session: Sequence[BehaviourEvent], position: int) -> float:
    given = _number(session[position].properties.get("duration_seconds"))
    if given is not None:
        return given
    if position + 1 < len(session):
        return (session[position + 1].occurred_at - session[position].occurred_at).total_seconds()
    return 0.0


def _rate(props: dict[str, Any], statistic: str, flag: str) -> float:
    catalog = _number(props.get(statistic))
    if catalog is not None:
        return min(catalog, 1.0)
    return FLAGGED_RATE if props.get(flag) is True else 0.0


def _number(value: Any) -> float | None:
    """A finite, non-negative number, or None for anything else (bools included)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if 0.0 <= number < float("inf") else None


def rfm_from_orders(orders: Sequence[OrderSummary], now: datetime) -> RFM:
    paid = [order for order in orders if order.paid_at <= now]
    if not paid:
        return RFM(recency_days=None, frequency=0, monetary=0.0)
    latest = max(order.paid_at for order in paid)
    return RFM(
        recency_days=(now - latest).total_seconds() / 86_400,
        frequency=len(paid),
        monetary=sum(order.amount for order in paid),
    )


def cart_depth(events: Sequence[BehaviourEvent], orders: Sequence[OrderSummary]) -> int:
    """Items in the latest cart, 0 once an order was paid after it; `events` sorted, up to now."""
    carts = [event for event in events if event.type == CART_UPDATED]
    if not carts:
        return 0
    cart = carts[-1]
    paid_after = any(e.type == ORDER_PAID and e.occurred_at >= cart.occurred_at for e in events)
    if paid_after or any(order.paid_at >= cart.occurred_at for order in orders):
        return 0
    items = cart.properties.get("items")
    if isinstance(items, list):
        return sum(_item_quantity(item) for item in items)
    return int(_number(cart.properties.get("item_count")) or 0)


def _item_quantity(item: Any) -> int:
    if not isinstance(item, dict):
        return 0
    quantity = item.get("quantity", 1)
    return int(_number(quantity) or 0)


def count_since(events: Sequence[BehaviourEvent], types: frozenset[str], since: datetime) -> int:
    return sum(1 for event in events if event.type in types and event.occurred_at >= since)
