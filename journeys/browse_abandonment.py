"""Browse abandonment: a product viewed and no cart within the hour brings one reminder, with
related picks and the live price and stock, while it is still fresh (within 2 h of the view).

Cold customers get it in-app only (the least interrupting channel); warm and hot ones in-app or
on WeChat. A later view restarts the hour; a cart or a payment ends it. At most once a day.
"""

from datetime import timedelta

from journeys.spec import (
    Branch,
    Case,
    Condition,
    End,
    JourneySpec,
    ReEntry,
    Send,
    Wait,
)
from models.channels import Channel
from models.events import EventType
from scoring.segments import IntentSegment

BROWSE_ABANDONMENT = JourneySpec(
    kind="browse_abandonment",
    workflow_type="BrowseAbandonment",
    version=1,
    trigger=EventType.PRODUCT_VIEWED,
    restart_on=(EventType.PRODUCT_VIEWED,),
    exit_on=(EventType.CART_UPDATED, EventType.ORDER_PAID),
    reentry=ReEntry(after=timedelta(days=1)),
    steps=(
        Wait(id="wait_1h", after=timedelta(hours=1)),
        Branch(
            id="by_intent",
            cases=(
                Case(
                    when=Condition(segment=frozenset({IntentSegment.COLD})), goto="quiet_reminder"
                ),
            ),
        ),
        Send(
            id="reminder",
            stage=1,
            template="browse_abandonment",
            channels=(Channel.INAPP, Channel.WECHAT),
            deliver_within=timedelta(hours=1),
        ),
        End(id="reminded"),
        Send(
            id="quiet_reminder",
            stage=1,
            template="browse_abandonment",
            channels=(Channel.INAPP,),
            deliver_within=timedelta(hours=1),
        ),
    ),
)
