"""Post-support follow-up: 2 h after a support ticket is closed, guidance matched to the ticket's
topic (size, payment, delivery, returns), sent while it still helps (within 12 h of the close).

Cold customers get the guidance alone, by email or in-app; warm and hot ones get it with product
retargeting (stage 2 of the copy) in-app or by push, with priority support for 90 days.
A paid order ends it.
"""

from datetime import timedelta

from journeys.spec import Branch, Case, Condition, End, JourneySpec, Send, Wait
from models.channels import Channel
from models.events import EventType
from scoring.segments import IntentSegment

POST_SUPPORT = JourneySpec(
    kind="post_support",
    workflow_type="PostSupport",
    version=1,
    trigger=EventType.SUPPORT_TICKET_CLOSED,
    restart_on=(EventType.SUPPORT_TICKET_CLOSED,),
    exit_on=(EventType.ORDER_PAID,),
    steps=(
        Wait(id="wait_2h", after=timedelta(hours=2)),
        Branch(
            id="by_intent",
            cases=(Case(when=Condition(segment=frozenset({IntentSegment.COLD})), goto="guidance"),),
        ),
        Send(
            id="guidance_and_picks",
            stage=2,
            template="post_support",
            channels=(Channel.INAPP, Channel.PUSH, Channel.EMAIL),
            offer="WB_PRIORITY_SUPPORT",
            deliver_within=timedelta(hours=10),
        ),
        End(id="followed_up"),
        Send(
            id="guidance",
            stage=1,
            template="post_support",
            channels=(Channel.EMAIL, Channel.INAPP),
            deliver_within=timedelta(hours=10),
        ),
    ),
)
