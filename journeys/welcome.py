"""Welcome: a personal welcome at signup, then a cadence that depends on intent.

Everyone: at once, a welcome explaining the first-order incentive (in-app/push/email).
Warm and hot: day 1 email with curated picks and a light threshold discount, day 3 WeChat
price-drop / back-in-stock notice, day 5 app push with popular bundles.
Cold: day 2 email with the value proposition and the first-order guarantee (shipping subsidy,
7-day no-questions returns), day 6 WeChat wish-list prompt. Never SMS.
Days are counted from signup; from day 1 on a message waits for the customer's active window
that day (the step's wait ends at 09:00 local, when quiet hours end and the earliest a learned
window can open; docs/journeys.md). The discount itself
(WELCOME_FIRST_ORDER_15) rides on one message only: a benefit goes out once in 30 days. A paid
order ends the journey; a customer is welcomed once.
"""

from datetime import time

from journeys.spec import (
    Branch,
    Case,
    Condition,
    End,
    JourneySpec,
    ReEntry,
    Send,
    WaitLocalTime,
)
from models.channels import Channel
from models.events import EventType
from scoring.segments import IntentSegment

# Quiet hours end: no learned window opens earlier, so the send lands in that day's window.
DAY_STARTS = time(9, 0)

WELCOME = JourneySpec(
    kind="welcome",
    workflow_type="Welcome",
    version=1,
    trigger=EventType.SIGNUP,
    exit_on=(EventType.ORDER_PAID,),
    reentry=ReEntry(allowed=False),
    steps=(
        Send(
            id="welcome",
            stage=1,
            template="welcome",
            channels=(Channel.INAPP, Channel.PUSH, Channel.EMAIL),
        ),
        Branch(
            id="by_intent",
            cases=(
                Case(when=Condition(segment=frozenset({IntentSegment.COLD})), goto="cold_day_2"),
            ),
        ),
        WaitLocalTime(id="warm_day_1", days=1, at=DAY_STARTS),
        Send(
            id="curated_picks",
            stage=2,
            template="welcome",
            timing="active_window",
            channels=(Channel.EMAIL, Channel.INAPP),
            offer="WELCOME_FIRST_ORDER_15",
            discount=True,
        ),
        WaitLocalTime(id="warm_day_3", days=3, at=DAY_STARTS),
        Send(
            id="price_and_stock_news",
            stage=3,
            template="price_drop",
            timing="active_window",
            channels=(Channel.WECHAT, Channel.INAPP),
        ),
        WaitLocalTime(id="warm_day_5", days=5, at=DAY_STARTS),
        Send(
            id="popular_bundles",
            stage=4,
            template="cross_sell",
            timing="active_window",
            channels=(Channel.PUSH, Channel.INAPP),
        ),
        End(id="warm_done"),
        WaitLocalTime(id="cold_day_2", days=2, at=DAY_STARTS),
        Send(
            id="value_proposition",
            stage=2,
            template="welcome",
            timing="active_window",
            channels=(Channel.EMAIL, Channel.INAPP),
        ),
        WaitLocalTime(id="cold_day_6", days=6, at=DAY_STARTS),
        Send(
            id="wish_list_prompt",
            stage=3,
            template="welcome",
            timing="active_window",
            channels=(Channel.WECHAT, Channel.INAPP),
        ),
    ),
)
