"""Offer expiry: one reminder 4 h before an issued coupon expires, never repeated.

The channel follows intent: hot customers by push or WeChat, the others in-app, on WeChat or by
email. The reminder is worthless once the coupon has expired, so a deferral past
that point suppresses it. Within the last 4 h the reminder waits for the customer's active window
when it opens before the coupon expires, and goes at once when it does not. A paid order ends
the journey.
"""

from datetime import timedelta

from journeys.spec import Branch, Case, Condition, End, JourneySpec, Send, WaitUntil
from models.channels import Channel
from models.events import EventType
from scoring.segments import IntentSegment

OFFER_EXPIRY = JourneySpec(
    kind="offer_expiry",
    workflow_type="OfferExpiry",
    version=1,
    trigger=EventType.COUPON_ISSUED,
    exit_on=(EventType.ORDER_PAID,),
    steps=(
        # Already within 4 h of the expiry: remind at once (if_past defaults to the next step).
        WaitUntil(id="until_4h_before_expiry", date="event.expires_at", offset=-timedelta(hours=4)),
        Branch(
            id="by_intent",
            cases=(Case(when=Condition(segment=frozenset({IntentSegment.HOT})), goto="push"),),
        ),
        Send(
            id="reminder",
            stage=1,
            template="offer_expiry",
            channels=(Channel.INAPP, Channel.WECHAT, Channel.EMAIL),
            offer_rule="trigger_event",
            importance="important",
            discount=True,
            deliver_by="event.expires_at",
            timing="active_window",
        ),
        End(id="reminded"),
        Send(
            id="push",
            stage=1,
            template="offer_expiry",
            channels=(Channel.PUSH, Channel.WECHAT),
            offer_rule="trigger_event",
            importance="important",
            discount=True,
            deliver_by="event.expires_at",
            timing="active_window",
        ),
    ),
)
