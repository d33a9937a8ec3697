"""Business events as backends post them, with the properties each type must carry."""

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@\-]+$")
]


class EventType(StrEnum):
    CART_UPDATED = "cart_updated"
    ORDER_PAID = "order_paid"
    MESSAGE_OPENED = "message_opened"
    MESSAGE_CLICKED = "message_clicked"


class _Properties(BaseModel):
    model_config = ConfigDict(extra="allow")


class CartItem(BaseModel):
    sku: Identifier
    name: str = Field(max_length=200)
    price: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    quantity: int = Field(ge=1, le=10_000)


class CartUpdated(_Properties):
    cart_id: Identifier
    items: list[CartItem] = Field(max_length=500)
    total: Decimal = Field(ge=0, max_digits=14, decimal_places=2)


class OrderPaid(_Properties):
    order_id: Identifier
    cart_id: Identifier | None = None


class MessageFeedback(_Properties):
    message_id: Identifier


PROPERTIES_BY_TYPE: dict[EventType, type[_Properties]] = {
    EventType.CART_UPDATED: CartUpdated,
    EventType.ORDER_PAID: OrderPaid,
    EventType.MESSAGE_OPENED: MessageFeedback,
    EventType.MESSAGE_CLICKED: MessageFeedback,
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
    """The property errors of an event, as `{"field", "reason"}` pairs (empty when valid)."""
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
