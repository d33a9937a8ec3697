"""Deterministic copy per template and channel until the content package takes over."""

from models.channels import Channel
from models.events import Event
from models.messages import MessageContent

_COPY = {
    "cart_stage_1": (
        "Still thinking it over?",
        "Your cart is saved. Questions about size, returns or payment? We are here to help.",
        "Back to my cart",
    ),
    "cart_stage_2": (
        "Free shipping on your cart",
        "Your items are waiting, and shipping is on us if you complete your order today.",
        "Complete my order",
    ),
    "cart_stage_3": (
        "Last chance for your cart",
        "Your cart expires soon. Use code {{coupon_code}} before it does.",
        "Use my code",
    ),
}


def render(template: str, channel: Channel, locale: str, trigger: Event) -> MessageContent:
    title, body, cta = _COPY[template]
    if channel == Channel.SMS:
        body = f"{title}. Reply STOP to opt out."
    return MessageContent(title=title, body=body, cta=cta)
