"""Store reminder for high-value members: the day before their usual store-visit day comes
round, in the customer's active window that day (from 10:00 local; at once when the window does
not open within the 12 h the reminder is worth sending), a WeChat or in-app reminder of their
usable benefits (one code, online and in store) with a map link.

High value: a gold or platinum member, or a top-20 % spender. The usual day is the weekday of most
of their store visits in the last 180 days (two visits at least); each visit restarts the journey,
so the reminder always aims at the next cycle.
"""

from datetime import time, timedelta

from journeys.spec import END, Branch, Case, Condition, JourneySpec, Send, WaitUntil
from models.channels import Channel
from models.events import EventType

STORE_REMINDER = JourneySpec(
    kind="store_reminder",
    workflow_type="StoreReminder",
    version=1,
    trigger=EventType.STORE_VISIT,
    restart_on=(EventType.STORE_VISIT,),
    steps=(
        Branch(
            id="high_value",
            cases=(
                Case(
                    when=Condition(attributes={"member_tier": ("gold", "platinum")}),
                    goto="day_before_visit",
                ),
                Case(when=Condition(rfm_top20=True), goto="day_before_visit"),
            ),
            otherwise=END,
        ),
        WaitUntil(
            id="day_before_visit",
            date="facts.next_store_visit",
            offset=-timedelta(days=1),
            at=time(10, 0),
            if_missing=END,
        ),
        Send(
            id="reminder",
            stage=1,
            template="store_reminder",
            channels=(Channel.WECHAT, Channel.INAPP),
            offer="STORE_MEMBER_BENEFIT",
            timing="active_window",
            deliver_within=timedelta(hours=12),
        ),
    ),
)
