"""Winback of dormant customers: a message whose lever matches why they left, at the cadence
and on the channels of their dormancy tier, until they come back; a deeper tier takes over the
same run.

Tier (from the `customer_dormant` event — the daily scan's, by days without an order — or
computed from the customer's history): light 30-60 days (still browsing), medium 60-120, heavy
over 120; an active customer is not written to. Each tier has its channels (the step's order is
kept, docs/journeys.md) and cadence, within the weekly caps the guardrails hold (one definition:
guardrails/settings.py, light 3 / medium 2 / heavy 1 a week):

| tier | channels, in order | one message every | ends it (besides a paid order) |
| --- | --- | --- | --- |
| light | in-app, push, email | 3 days | a cart or a store visit (they browse all along) |
| medium | push, WeChat, email | 4 days | a product view, a cart or a store visit |
| heavy | email, WeChat | 7 days | a product view, a cart or a store visit |

Reason: price → a coupon, category → new arrivals, service → an apology with non-monetary care;
the offer itself is chosen by expected value under the budget by the decision path (offer_rule
"expected_value"). Six messages at most per tier; then the run rests, still listening (a cart or
a store visit ends it), for the re-entry period (90 days).

Moving down the tiers: a `customer_dormant` event of the deeper tier (the daily scan's, on the
day the customer crosses 61 or 121 days without an order) restarts the running journey from its
first step in that tier — no second entry, so the 90-day re-entry rule, which still stops a
second winback after a finished one, does not stand in the way.

12 % of customers are held out (stable assignment by customer id): they walk the journey and
every would-be send is recorded, but nothing is delivered, so the true lift can be measured.
A fresh workflow run every 16 steps keeps each history short over the weeks this journey lasts.
"""

from dataclasses import dataclass
from datetime import timedelta

from dormancy.labels import DormancyReason, DormancyTier
from experiments.definitions import Arm, Experiment, Metric, Outcome
from journeys.spec import (
    END,
    NEXT,
    Branch,
    Case,
    Condition,
    Goto,
    JourneySpec,
    ReEntry,
    Send,
    Step,
    WaitForEvent,
)
from models.channels import Channel
from models.events import EventType

DORMANT = frozenset({DormancyTier.LIGHT, DormancyTier.MEDIUM, DormancyTier.HEAVY})
# A light-tier customer still browses: only a cart or a store visit shows them back.
COMMITTED = (EventType.CART_UPDATED, EventType.STORE_VISIT)
RETURNED = (EventType.PRODUCT_VIEWED, *COMMITTED)
ROUNDS = 6
REENTRY_AFTER = timedelta(days=90)


@dataclass(frozen=True)
class TierPlan:
    """One tier's channels (most preferred first), cadence and what counts as coming back."""

    channels: tuple[Channel, ...]
    every: timedelta
    returned: tuple[EventType, ...]


TIERS: dict[DormancyTier, TierPlan] = {
    DormancyTier.LIGHT: TierPlan(
        (Channel.INAPP, Channel.PUSH, Channel.EMAIL),
        timedelta(days=3),
        COMMITTED,
    ),
    DormancyTier.MEDIUM: TierPlan(
        (Channel.PUSH, Channel.WECHAT, Channel.EMAIL), timedelta(days=4), RETURNED
    ),
    DormancyTier.HEAVY: TierPlan((Channel.EMAIL, Channel.WECHAT), timedelta(days=7), RETURNED),
}

WINBACK_HOLDOUT = Experiment(
    id="winback_holdout_v1",
    journey="winback",
    step="dormant",
    arms=(Arm(id="winback"),),
    metric=Metric(outcome=Outcome.CONVERSION, window=timedelta(days=30)),
    holdout_share=0.12,
)


def _tier_steps(tier: DormancyTier, plan: TierPlan) -> tuple[Step, ...]:
    """The lever by reason, one message, the cadence's wait; six rounds, then the rest."""

    def message(reason: DormancyReason, then: str) -> tuple[Step, ...]:
        send = Send(
            id=f"{tier}_{reason}",
            stage=1,
            template=f"winback.{reason}",
            channels=plan.channels,
            offer_rule="expected_value",
            discount=reason == DormancyReason.PRICE,
            timing="active_window",
        )
        return (send,) if then == NEXT else (send, Goto(id=f"{tier}_{reason}_sent", to=then))

    wait = f"wait_{tier}"
    return (
        Branch(
            id=str(tier),
            cases=(
                Case(
                    when=Condition(dormancy_reason=frozenset({DormancyReason.PRICE})),
                    goto=f"{tier}_price",
                ),
                Case(
                    when=Condition(dormancy_reason=frozenset({DormancyReason.SERVICE})),
                    goto=f"{tier}_service",
                ),
            ),
            otherwise=f"{tier}_category",
        ),
        *message(DormancyReason.PRICE, wait),
        *message(DormancyReason.SERVICE, wait),
        *message(DormancyReason.CATEGORY, NEXT),
        WaitForEvent(id=wait, events=plan.returned, timeout=plan.every, on_event=END),
        Goto(id=f"again_{tier}", to=str(tier), times=ROUNDS - 1),
        Goto(id=f"{tier}_done", to="rest"),
    )


WINBACK = JourneySpec(
    kind="winback",
    workflow_type="Winback",
    version=2,
    trigger=EventType.CUSTOMER_DORMANT,
    restart_on=(EventType.CUSTOMER_DORMANT,),
    exit_on=(EventType.ORDER_PAID,),
    reentry=ReEntry(after=REENTRY_AFTER),
    guardrail_kind="winback",
    holdout=WINBACK_HOLDOUT,
    max_steps_per_run=16,
    steps=(
        Branch(
            id="dormant",
            cases=tuple(
                Case(when=Condition(dormancy_tier=frozenset({tier})), goto=str(tier))
                for tier in TIERS
            ),
            otherwise=END,
        ),
        *(step for tier, plan in TIERS.items() for step in _tier_steps(tier, plan)),
        # Rounds over: still listening, so that a deeper tier's event restarts this run (a view
        # does not end the rest: the light tier's customers browse all along).
        WaitForEvent(id="rest", events=COMMITTED, timeout=REENTRY_AFTER, on_event=END),
    ),
)
