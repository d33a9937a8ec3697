"""Winback of dormant customers: a message whose lever matches why they left, repeated at the
cadence of their dormancy tier until they come back.

Tier (from the `customer_dormant` event, or computed from the customer's history): light 30-60
days inactive, medium 60-120, heavy over 120; an active customer is not written to. Reason:
price → a coupon, category → new arrivals, service → an apology with non-monetary care; the
offer itself is chosen by expected value under the budget by the decision path (offer_rule
"expected_value"). Cadence: light every 3 days, medium every 4, heavy every 7 — within the caps
of 3 / 2 / 1 a week, which the guardrails also enforce across journeys. Six messages at most;
a product view, a cart or a store visit ends it (the customer is back), so does a paid order.

12 % of customers are held out (stable assignment by customer id): they walk the journey and
every would-be send is recorded, but nothing is delivered, so the true lift can be measured.
A fresh workflow run every 16 steps keeps each history short over the weeks this journey lasts.
"""

from datetime import timedelta

from dormancy.labels import DormancyReason, DormancyTier
from experiments.definitions import Arm, Experiment, Metric, Outcome
from journeys.spec import (
    END,
    Branch,
    Case,
    Condition,
    Goto,
    JourneySpec,
    ReEntry,
    Send,
    WaitForEvent,
)
from models.channels import Channel
from models.events import EventType

DORMANT = frozenset({DormancyTier.LIGHT, DormancyTier.MEDIUM, DormancyTier.HEAVY})
RETURNED = (EventType.PRODUCT_VIEWED, EventType.CART_UPDATED, EventType.STORE_VISIT)
CHANNELS = (Channel.PUSH, Channel.WECHAT, Channel.EMAIL)
ROUNDS = 6

WINBACK_HOLDOUT = Experiment(
    id="winback_holdout_v1",
    journey="winback",
    step="lever",
    arms=(Arm(id="winback"),),
    metric=Metric(outcome=Outcome.CONVERSION, window=timedelta(days=30)),
    holdout_share=0.12,
)


def _message(reason: DormancyReason, discount: bool) -> Send:
    return Send(
        id=f"{reason}_message",
        stage=1,
        template=f"winback.{reason}",
        channels=CHANNELS,
        offer_rule="expected_value",
        discount=discount,
    )


def _cadence(tier: DormancyTier, every: timedelta) -> WaitForEvent:
    return WaitForEvent(
        id=f"wait_{tier}", events=RETURNED, timeout=every, on_event=END, on_timeout="again"
    )


WINBACK = JourneySpec(
    kind="winback",
    workflow_type="Winback",
    version=1,
    trigger=EventType.CUSTOMER_DORMANT,
    exit_on=(EventType.ORDER_PAID,),
    reentry=ReEntry(after=timedelta(days=90)),
    guardrail_kind="winback",
    holdout=WINBACK_HOLDOUT,
    max_steps_per_run=16,
    steps=(
        Branch(
            id="dormant",
            cases=(Case(when=Condition(dormancy_tier=DORMANT), goto="lever"),),
            otherwise=END,
        ),
        Branch(
            id="lever",
            cases=(
                Case(
                    when=Condition(dormancy_reason=frozenset({DormancyReason.PRICE})),
                    goto="price_message",
                ),
                Case(
                    when=Condition(dormancy_reason=frozenset({DormancyReason.SERVICE})),
                    goto="service_message",
                ),
            ),
            otherwise="category_message",
        ),
        _message(DormancyReason.PRICE, discount=True),
        Goto(id="price_sent", to="cadence"),
        _message(DormancyReason.SERVICE, discount=False),
        Goto(id="service_sent", to="cadence"),
        _message(DormancyReason.CATEGORY, discount=False),
        Branch(
            id="cadence",
            cases=(
                Case(
                    when=Condition(dormancy_tier=frozenset({DormancyTier.LIGHT})), goto="wait_light"
                ),
                Case(
                    when=Condition(dormancy_tier=frozenset({DormancyTier.MEDIUM})),
                    goto="wait_medium",
                ),
            ),
            otherwise="wait_heavy",
        ),
        _cadence(DormancyTier.LIGHT, timedelta(days=3)),
        _cadence(DormancyTier.MEDIUM, timedelta(days=4)),
        _cadence(DormancyTier.HEAVY, timedelta(days=7)),
        Goto(id="again", to="lever", times=ROUNDS - 1),
    ),
)
