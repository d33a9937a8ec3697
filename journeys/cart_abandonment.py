"""Cart abandonment: 30 min, 4 h and 24 h after the latest cart update, unless the order is paid.

Stage 1 removes the obstacle (in-app/push), stage 2 brings a light offer (WeChat/push), stage 3 a
time-limited offer; SMS is allowed at 24 h only. Email is every stage's last resort.
"""

from datetime import timedelta

from journeys.spec import JourneySpec, Send, Wait
from models.channels import Channel
from models.events import EventType

CART_ABANDONMENT = JourneySpec(
    kind="cart_abandonment",
    workflow_type="CartAbandonment",
    version=1,
    trigger=EventType.CART_UPDATED,
    restart_on=(EventType.CART_UPDATED,),
    exit_on=(EventType.ORDER_PAID,),
    steps=(
        Wait(id="wait_30m", after=timedelta(minutes=30)),
        Send(
            id="stage_1",
            stage=1,
            template="cart_abandonment.stage1",
            channels=(Channel.INAPP, Channel.PUSH, Channel.EMAIL),
        ),
        Wait(id="wait_4h", after=timedelta(hours=4)),
        Send(
            id="stage_2",
            stage=2,
            template="cart_abandonment.stage2",
            offer="CART_FREE_SHIPPING",
            channels=(Channel.WECHAT, Channel.PUSH, Channel.EMAIL),
        ),
        Wait(id="wait_24h", after=timedelta(hours=24)),
        Send(
            id="stage_3",
            stage=3,
            template="cart_abandonment.stage3",
            offer="CART_TIMED_10",
            discount=True,
            channels=(Channel.PUSH, Channel.WECHAT, Channel.EMAIL, Channel.SMS),
        ),
    ),
)
