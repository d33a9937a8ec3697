"""Price drop and low stock on an item the customer viewed or carted (the backend posts the
event for each such customer): a notice with one-tap checkout; price and stock are re-checked
at send time by the decision path.

Hot customers hear at once, by push or WeChat (no in-app: they may not open the app in time);
warm and cold ones at the next 19:00 local time (their usual evening window), on WeChat or
in-app. A paid order ends it; one notice a day.
"""

from datetime import time, timedelta

from journeys.spec import (
    Branch,
    Case,
    Condition,
    End,
    JourneySpec,
    PropertyTest,
    ReEntry,
    Send,
    Step,
    WaitLocalTime,
)
from models.channels import Channel
from models.events import EventType
from scoring.segments import IntentSegment

LOW_STOCK_THRESHOLD = 5
EVENING = time(19, 0)
HOT = Condition(segment=frozenset({IntentSegment.HOT}))


def _notice(template: str) -> tuple[Step, ...]:
    return (
        Branch(id="by_intent", cases=(Case(when=HOT, goto="notify_now"),)),
        WaitLocalTime(id="wait_evening", at=EVENING),
        Send(
            id="notify_evening",
            stage=1,
            template=template,
            channels=(Channel.WECHAT, Channel.INAPP),
            deliver_within=timedelta(hours=3),
        ),
        End(id="notified"),
        Send(
            id="notify_now",
            stage=1,
            template=template,
            channels=(Channel.PUSH, Channel.WECHAT),
            importance="important",
            deliver_within=timedelta(hours=12),
        ),
    )


PRICE_DROP = JourneySpec(
    kind="price_drop",
    workflow_type="PriceDrop",
    version=1,
    trigger=EventType.PRICE_CHANGED,
    trigger_when=(PropertyTest(property="new_price", op="lt", than="old_price"),),
    exit_on=(EventType.ORDER_PAID,),
    reentry=ReEntry(after=timedelta(days=1)),
    steps=_notice("price_drop"),
)

LOW_STOCK = JourneySpec(
    kind="low_stock",
    workflow_type="LowStock",
    version=1,
    trigger=EventType.STOCK_CHANGED,
    trigger_when=(
        PropertyTest(property="stock", op="gt", value=0),
        PropertyTest(property="stock", op="le", value=LOW_STOCK_THRESHOLD),
    ),
    exit_on=(EventType.ORDER_PAID,),
    reentry=ReEntry(after=timedelta(days=1)),
    steps=_notice("low_stock"),
)
