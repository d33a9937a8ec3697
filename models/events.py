"""Business events as backends post them, with the properties each type must carry."""

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from models.limits import Text40, Text100, Text200, check_bag

Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@\-]+$")
]


class EventType(StrEnum):
    CART_UPDATED = "cart_updated"
    ORDER_PAID = "order_paid"
    MESSAGE_OPENED = "message_opened"
    MESSAGE_CLICKED = "message_clicked"
    SIGNUP = "signup"
    PRODUCT_VIEWED = "product_viewed"
    PAGE_VIEWED = "page_viewed"
    SESSION_ENDED = "session_ended"
    PRICE_CHANGED = "price_changed"
    STOCK_CHANGED = "stock_changed"
    SUPPORT_TICKET_CLOSED = "support_ticket_closed"
    COUPON_ISSUED = "coupon_issued"
    STORE_VISIT = "store_visit"
    CUSTOMER_DORMANT = "customer_dormant"
    SEGMENT_ENTERED = "segment_entered"


class _Properties(BaseModel):
    model_config = ConfigDict(extra="allow")


class CartItem(BaseModel):
    sku: Identifier
    name: Text200
    price: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    quantity: int = Field(ge=1, le=10_000)


class CartUpdated(_Properties):
    cart_id: Identifier
    items: list[CartItem] = Field(max_length=500)
    total: Decimal = Field(ge=0, max_digits=14, decimal_places=2)


class OrderPaid(_Properties):
    order_id: Identifier
    cart_id: Identifier | None = None
    total: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    coupon_id: Identifier | None = Field(None, description="the coupon redeemed with the order")


class MessageFeedback(_Properties):
    message_id: Identifier


class Signup(_Properties):
    interest_categories: list[Text100] = Field(default_factory=list, max_length=50)


class ProductViewed(_Properties):
    sku: Identifier
    category: Text100 | None = None
    price: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    in_stock: bool | None = None
    session_id: Identifier | None = None


class PageViewed(_Properties):
    """A page other than a product page; the scoring and dormancy packages read its extras."""

    page_type: Text40 | None = Field(None, description="e.g. category, sale, help")
    category: Text100 | None = None
    price_filter: bool = Field(False, description="the customer filtered by price on this page")
    session_id: Identifier | None = None


class SessionEnded(_Properties):
    session_id: Identifier | None = None


class PriceChanged(_Properties):
    """Posted per customer who viewed or carted the item (the backend knows who did)."""

    sku: Identifier
    old_price: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    new_price: Decimal = Field(ge=0, max_digits=12, decimal_places=2)


class StockChanged(_Properties):
    """Posted per customer who viewed or carted the item."""

    sku: Identifier
    stock: int = Field(ge=0)


class SupportTicketClosed(_Properties):
    topic: Literal["size", "payment", "delivery", "returns", "other"]
    ticket_id: Identifier | None = None
    sentiment: Literal["positive", "neutral", "negative"] | None = None
    resolution_hours: Decimal | None = Field(
        None, ge=0, max_digits=8, decimal_places=2, description="opened to closed (health score)"
    )


class CouponIssued(_Properties):
    coupon_id: Identifier
    offer_id: Identifier = Field(description="the offer in the offer catalogue")
    expires_at: AwareDatetime


class StoreVisit(_Properties):
    store_id: Identifier


class CustomerDormant(_Properties):
    """From a backend's inactivity scan; tier and reason are computed from history when absent."""

    tier: Literal["light", "medium", "heavy"] | None = None
    reason: Literal["price", "category", "service"] | None = None


class SegmentEntered(_Properties):
    """Made by the profile when a customer enters a segment (profiles/segments.py)."""

    segment: Identifier


PROPERTIES_BY_TYPE: dict[EventType, type[_Properties]] = {
    EventType.CART_UPDATED: CartUpdated,
    EventType.ORDER_PAID: OrderPaid,
    EventType.MESSAGE_OPENED: MessageFeedback,
    EventType.MESSAGE_CLICKED: MessageFeedback,
    EventType.SIGNUP: Signup,
    EventType.PRODUCT_VIEWED: ProductViewed,
    EventType.PAGE_VIEWED: PageViewed,
    EventType.SESSION_ENDED: SessionEnded,
    EventType.PRICE_CHANGED: PriceChanged,
    EventType.STOCK_CHANGED: StockChanged,
    EventType.SUPPORT_TICKET_CLOSED: SupportTicketClosed,
    EventType.COUPON_ISSUED: CouponIssued,
    EventType.STORE_VISIT: StoreVisit,
    EventType.CUSTOMER_DORMANT: CustomerDormant,
    EventType.SEGMENT_ENTERED: SegmentEntered,
}


class Event(BaseModel):
    """One business event; `properties` is checked against the schema of its `type`."""

    event_id: Identifier
    customer_id: Identifier
    type: EventType
    occurred_at: AwareDatetime
    properties: dict[str, Any] = Field(default_factory=dict)

    def typed_properties(self) -> _Properties:
        return PROPERTIES_BY_TYPE[self.type].model_validate(self.properties)


def validate_properties(event: Event) -> list[dict[str, str]]:
    """The property errors of an event, as `{"field", "reason"}` pairs (empty when valid): the
    schema of its type, and the limits of a property bag (models/limits.py). Checked where
    events come in, not when a journey reads them back."""
    try:
        check_bag(event.properties)
    except ValueError as err:
        return [{"field": "properties", "reason": str(err)}]
    try:
        event.typed_properties()
    except ValidationError as err:
        return [
            {
                "field": ".".join(["properties", *(str(p) for p in e["loc"])]),
                "reason": e["msg"],
            }
            for e in err.errors()
        ]
    return []
