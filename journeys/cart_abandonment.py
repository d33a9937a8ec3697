"""Cart abandonment: 30 min, 4 h and 24 h after the latest cart update, unless the order is paid.

Stage 1 removes the obstacle (in-app/push), stage 2 brings a light offer (WeChat/push), stage 3 a
time-limited offer; SMS is allowed at 24 h only. Email is every stage's last resort.

Experiments: stage 1 tests the copy's tone (rational vs emotional, clicks within a day);
stage 3 lets a Thompson-sampling bandit learn, for hot-intent customers, whether the 10 CNY
coupon or free shipping brings more orders within a day.
"""

from datetime import timedelta

from experiments.definitions import Allocation, Arm, CopyVariant, Experiment, Metric, Outcome
from journeys.spec import JourneySpec, Send, Wait
from models.channels import Channel
from models.events import EventType
from scoring.segments import IntentSegment

STAGE_1_TONE = Experiment(
    id="cart_stage1_tone_v1",
    journey="cart_abandonment",
    step="stage_1",
    arms=(
        Arm(id="rational", copy_variant=CopyVariant.RATIONAL),
        Arm(id="emotional", copy_variant=CopyVariant.EMOTIONAL),
    ),
    metric=Metric(outcome=Outcome.CLICK, window=timedelta(days=1)),
)

STAGE_3_OFFER_HOT = Experiment(
    id="cart_stage3_offer_hot_v1",
    journey="cart_abandonment",
    step="stage_3",
    arms=(
        Arm(id="coupon_10", offer_id="CART_TIMED_10"),
        Arm(id="free_shipping", offer_id="CART_FREE_SHIPPING"),
    ),
    allocation=Allocation.BANDIT,
    segment=IntentSegment.HOT,
    metric=Metric(outcome=Outcome.CONVERSION, window=timedelta(days=1)),
)

CART_ABANDONMENT = JourneySpec(
    kind="cart_abandonment",
    workflow_type="CartAbandonment",
    version=2,
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
            experiment=STAGE_1_TONE,
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
            experiment=STAGE_3_OFFER_HOT,
        ),
    ),
)
