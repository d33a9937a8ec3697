"""High-value cross-sell (RFM top 20 %): 24 h after a session, complementary and bundle picks;
for cold-intent members, early access to new arrivals instead.

Both offers are important touches (PRODUCT.md: recommendations and early access for the top
20 % are what the 48 h gap between important touches protects), and both wait for the customer's
active window. Caps (at most 5 touches a week, 48 h between important touches) are the
guardrails' job
(journey kind high_value_cross_sell); within the journey there is one touch per session and a new
session does not restart the wait, so touches of this journey are at least 24 h apart.
A paid order ends it.

Early access (EARLY_ACCESS) starts on a segment instead of an event: a customer entering
`high_value_new_arrivals` (high order value, browsed new arrivals, no order in 7 days;
profiles/segments.py) is offered early access to the new arrivals at once, once a month at most.
"""

from datetime import timedelta

from journeys.spec import END, Branch, Case, Condition, End, JourneySpec, ReEntry, Send, Wait
from models.channels import Channel
from models.events import EventType
from scoring.segments import IntentSegment

EARLY_ACCESS_OFFER = Send(
    id="early_access",
    stage=1,
    template="cross_sell",
    channels=(Channel.INAPP, Channel.WECHAT, Channel.EMAIL),
    offer="WB_NEW_ARRIVALS_EARLY_ACCESS",
    importance="important",
    timing="active_window",
)

CROSS_SELL = JourneySpec(
    kind="cross_sell",
    workflow_type="HighValueCrossSell",
    version=1,
    trigger=EventType.SESSION_ENDED,
    exit_on=(EventType.ORDER_PAID,),
    guardrail_kind="high_value_cross_sell",
    steps=(
        Branch(
            id="top_customer",
            cases=(Case(when=Condition(rfm_top20=True), goto="wait_24h"),),
            otherwise=END,
        ),
        Wait(id="wait_24h", after=timedelta(hours=24)),
        Branch(
            id="by_intent",
            cases=(
                Case(when=Condition(segment=frozenset({IntentSegment.COLD})), goto="early_access"),
            ),
        ),
        Send(
            id="bundles",
            stage=1,
            template="cross_sell",
            channels=(Channel.INAPP, Channel.PUSH, Channel.WECHAT, Channel.EMAIL),
            importance="important",
            timing="active_window",
        ),
        End(id="sent_bundles"),
        EARLY_ACCESS_OFFER.model_copy(update={"stage": 2}),
    ),
)

EARLY_ACCESS = JourneySpec(
    kind="early_access",
    workflow_type="HighValueEarlyAccess",
    version=1,
    trigger=EventType.SEGMENT_ENTERED,
    trigger_segment="high_value_new_arrivals",
    exit_on=(EventType.ORDER_PAID,),
    reentry=ReEntry(after=timedelta(days=30)),
    guardrail_kind="high_value_cross_sell",
    steps=(EARLY_ACCESS_OFFER,),
)
