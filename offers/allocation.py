"""Which customer gets which offer, by expected value under the winback budget.

Budget rule (PRODUCT.md): average incentive cost per reactivated customer <= the cap (4.00 CNY).
Over a campaign that is  sum(expected cost) <= cap x sum(expected reactivations), where every
candidate's expected reactivation counts, with or without an offer (all of them are in the
winback journey; the offer is what comes on top of the message). Each option therefore uses
    budget use = expected cost - cap x P(purchase)
and the allocation keeps the total budget use <= 0: a customer likely to return without a costly
offer frees budget for another whose return needs one.

`allocate` solves this multiple-choice knapsack greedily: each customer starts on their option
with the lowest budget use, then upgrades are applied in order of extra EV per unit of extra
budget use (each customer's options reduced to their upper convex hull, so those ratios fall
along a customer's upgrades) while budget remains. Options with EV <= 0 are never given.
Service-reason customers are offered only non-monetary benefits when at least one has positive
value (`service_non_monetary_first`).
"""

import heapq
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from dormancy.labels import DormancyReason
from offers.catalogue import Offer, OfferCatalogue, OfferKind
from offers.settings import OfferSettings
from offers.value import CustomerOfferFeatures, OfferValue, offer_value, within_margin_rules


class Candidate(BaseModel):
    model_config = ConfigDict(frozen=True)

    features: CustomerOfferFeatures
    reason: DormancyReason


class AllocationDecision(StrEnum):
    OFFERED = "offered"
    OVER_BUDGET = "over_budget"  # a positive-value offer existed, the budget did not reach it
    NO_POSITIVE_VALUE = "no_positive_value"  # eligible offers exist, none is worth its cost
    NO_ELIGIBLE_OFFER = "no_eligible_offer"  # nothing suits the reason, tier, date and margin


class Allocation(BaseModel):
    model_config = ConfigDict(frozen=True)

    customer_id: str
    offer_id: str | None
    decision: AllocationDecision
    purchase_probability: float
    incremental_probability: float
    expected_cost_cny: float
    expected_value_cny: float


class BudgetUsage(BaseModel):
    """Campaign totals so far: actual redeemed cost and reactivated customers, or the expected
    totals of an allocation. Zero means the customer must fit the budget on their own."""

    model_config = ConfigDict(frozen=True)

    incentive_cost_cny: float = Field(default=0.0, ge=0)
    reactivations: float = Field(default=0.0, ge=0)


def eligible_offers(
    features: CustomerOfferFeatures,
    reason: DormancyReason,
    catalogue: OfferCatalogue,
    settings: OfferSettings,
    now: datetime,
    exclude_offer_ids: Iterable[str] = (),
) -> list[Offer]:
    """Offers that suit the reason and tier, are valid now and respect their margin rules."""
    excluded = set(exclude_offer_ids)
    return [
        offer
        for offer in catalogue.offers
        if offer.suits(reason, features.tier)
        and offer.is_valid_at(now)
        and offer.offer_id not in excluded
        and within_margin_rules(features, offer, settings)
    ]


def valuable_options(
    features: CustomerOfferFeatures,
    reason: DormancyReason,
    offers: Sequence[Offer],
    settings: OfferSettings,
) -> list[OfferValue]:
    """Values of the offers worth giving (EV > 0), non-monetary only for service if any is."""
    valued = [(offer, offer_value(features, offer, settings)) for offer in offers]
    positive = [(offer, value) for offer, value in valued if value.expected_value_cny > 0]
    if reason is DormancyReason.SERVICE and settings.service_non_monetary_first:
        non_monetary = [pair for pair in positive if pair[0].kind is OfferKind.NON_MONETARY]
        if non_monetary:
            positive = non_monetary
    return [value for _, value in positive]


def _no_offer(features: CustomerOfferFeatures) -> OfferValue:
    return OfferValue(
        offer_id="",
        purchase_probability=features.baseline_probability,
        incremental_probability=0.0,
        expected_margin_cny=0.0,
        expected_cost_cny=0.0,
        expected_value_cny=0.0,
    )


def _budget_use(value: OfferValue, cap: float) -> float:
    return value.expected_cost_cny - cap * value.purchase_probability


def _upper_hull(options: list[OfferValue], cap: float) -> list[OfferValue]:
    """Options that can be optimal for some budget: increasing use, increasing EV, concave."""
    ordered = sorted(
        options, key=lambda v: (_budget_use(v, cap), -v.expected_value_cny, v.offer_id)
    )
    hull: list[OfferValue] = []
    for option in ordered:
        if hull and option.expected_value_cny <= hull[-1].expected_value_cny:
            continue  # uses at least as much budget for no more value
        while len(hull) >= 2:
            (u1, e1), (u2, e2) = [(_budget_use(v, cap), v.expected_value_cny) for v in hull[-2:]]
            u3, e3 = _budget_use(option, cap), option.expected_value_cny
            if (e2 - e1) * (u3 - u2) <= (e3 - e2) * (u2 - u1):
                hull.pop()  # the middle option is never better than mixing its neighbours
            else:
                break
        hull.append(option)
    return hull


def _allocation(customer_id: str, value: OfferValue, decision: AllocationDecision) -> Allocation:
    return Allocation(
        customer_id=customer_id,
        offer_id=value.offer_id or None,
        decision=decision,
        purchase_probability=value.purchase_probability,
        incremental_probability=value.incremental_probability,
        expected_cost_cny=value.expected_cost_cny,
        expected_value_cny=value.expected_value_cny,
    )


def allocate(
    candidates: Sequence[Candidate],
    catalogue: OfferCatalogue,
    settings: OfferSettings,
    now: datetime,
) -> list[Allocation]:
    """One allocation per candidate, in input order; pure and deterministic."""
    ids = [candidate.features.customer_id for candidate in candidates]
    if len(set(ids)) != len(ids):
        raise ValueError("candidates must have distinct customer ids")
    cap = settings.max_cost_per_reactivation_cny

    hulls: list[list[OfferValue]] = []
    fallback: list[AllocationDecision] = []
    for candidate in candidates:
        features = candidate.features
        offers = eligible_offers(features, candidate.reason, catalogue, settings, now)
        options = valuable_options(features, candidate.reason, offers, settings)
        hulls.append(_upper_hull([_no_offer(features), *options], cap))
        if options:
            fallback.append(AllocationDecision.OVER_BUDGET)
        elif offers:
            fallback.append(AllocationDecision.NO_POSITIVE_VALUE)
        else:
            fallback.append(AllocationDecision.NO_ELIGIBLE_OFFER)

    position = [0] * len(candidates)
    slack = -sum(_budget_use(hull[0], cap) for hull in hulls)
    steps: list[tuple[float, str, int]] = []

    def push_next_step(i: int) -> None:
        hull, at = hulls[i], position[i]
        if at + 1 < len(hull):
            extra_use = _budget_use(hull[at + 1], cap) - _budget_use(hull[at], cap)
            extra_value = hull[at + 1].expected_value_cny - hull[at].expected_value_cny
            heapq.heappush(steps, (-extra_value / extra_use, ids[i], i))

    for i in range(len(candidates)):
        push_next_step(i)
    while steps:
        _, _, i = heapq.heappop(steps)
        hull, at = hulls[i], position[i]
        extra_use = _budget_use(hull[at + 1], cap) - _budget_use(hull[at], cap)
        if extra_use <= slack:
            slack -= extra_use
            position[i] = at + 1
            push_next_step(i)

    allocations = []
    for i, hull in enumerate(hulls):
        chosen = hull[position[i]]
        decision = AllocationDecision.OFFERED if chosen.offer_id else fallback[i]
        allocations.append(_allocation(ids[i], chosen, decision))
    return allocations


def choose_offer(
    features: CustomerOfferFeatures,
    reason: DormancyReason,
    catalogue: OfferCatalogue,
    settings: OfferSettings,
    now: datetime,
    usage: BudgetUsage | None = None,
    exclude_offer_ids: Iterable[str] = (),
) -> Offer | None:
    """The best offer for one customer at send time, or None.

    The offer must keep the campaign within budget once added to `usage` (None: no campaign
    history, the customer must fit the budget alone):
    cost so far + expected cost <= cap x (reactivations so far + P(purchase with the offer)).
    `exclude_offer_ids` are benefits the customer may not receive again (30-day rule).
    """
    usage = usage or BudgetUsage()
    cap = settings.max_cost_per_reactivation_cny
    offers = eligible_offers(features, reason, catalogue, settings, now, exclude_offer_ids)
    affordable = [
        value
        for value in valuable_options(features, reason, offers, settings)
        if usage.incentive_cost_cny + value.expected_cost_cny
        <= cap * (usage.reactivations + value.purchase_probability)
    ]
    if not affordable:
        return None
    best = max(
        affordable,
        key=lambda v: (v.expected_value_cny, -v.expected_cost_cny, v.offer_id),
    )
    return catalogue.get(best.offer_id)
