import itertools
import random
from datetime import UTC, datetime

import pytest

from dormancy.labels import DormancyReason, DormancyTier
from offers.allocation import (
    Allocation,
    AllocationDecision,
    BudgetUsage,
    Candidate,
    allocate,
    choose_offer,
    eligible_offers,
    valuable_options,
)
from offers.catalogue import OfferCatalogue, OfferKind, load_catalogue
from offers.settings import OfferSettings
from offers.value import CustomerOfferFeatures, offer_value

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SETTINGS = OfferSettings()
CATALOGUE = load_catalogue()


def features(
    customer_id: str = "c-1",
    *,
    tier: DormancyTier = DormancyTier.MEDIUM,
    baseline: float = 0.01,
    uplift: float = 0.005,
    active: float = 0.8,
    order_value: float = 200.0,
) -> CustomerOfferFeatures:
    return CustomerOfferFeatures(
        customer_id=customer_id,
        tier=tier,
        baseline_probability=baseline,
        uplift=uplift,
        probability_active=active,
        expected_order_value_cny=order_value,
    )


def candidate(reason: DormancyReason = DormancyReason.PRICE, **kwargs: object) -> Candidate:
    return Candidate(features=features(**kwargs), reason=reason)


def within_budget(allocations: list[Allocation], cap: float) -> bool:
    cost = sum(a.expected_cost_cny for a in allocations)
    return cost <= cap * sum(a.purchase_probability for a in allocations) + 1e-9


def test_expected_value_follows_the_formula() -> None:
    value = offer_value(features(), CATALOGUE.get("WB_COUPON_10"), SETTINGS)
    # incremental = 0.005 x 1.0 x 0.8; margin = 200 x 30 %; cost = 10 x P(purchase with offer)
    assert value.incremental_probability == pytest.approx(0.004)
    assert value.purchase_probability == pytest.approx(0.014)
    assert value.expected_cost_cny == pytest.approx(0.14)
    assert value.expected_value_cny == pytest.approx(0.004 * 60 - 0.14)


def test_expected_value_orders_customers_and_offers() -> None:
    coupon = CATALOGUE.get("WB_COUPON_10")

    def ev(**kwargs: object) -> float:
        return offer_value(features(**kwargs), coupon, SETTINGS).expected_value_cny

    assert ev(uplift=0.002) < ev(uplift=0.005) < ev(uplift=0.01)
    assert ev(active=0.2) < ev(active=0.5) < ev(active=0.9)
    assert ev(order_value=120) < ev(order_value=400)
    # Per-grant costs are paid whether or not the customer buys.
    support = offer_value(features(), CATALOGUE.get("WB_PRIORITY_SUPPORT"), SETTINGS)
    assert support.expected_cost_cny == 1.5


def test_a_threshold_offer_values_the_basket_at_its_minimum() -> None:
    small_basket = features(order_value=50.0)
    value = offer_value(small_basket, CATALOGUE.get("WB_COUPON_10"), SETTINGS)
    assert value.expected_margin_cny == pytest.approx(value.incremental_probability * 99 * 0.3)


def test_margin_rules_exclude_an_incentive_too_large_for_the_order() -> None:
    offers = eligible_offers(
        features(order_value=100.0), DormancyReason.PRICE, CATALOGUE, SETTINGS, NOW
    )
    ids = {offer.offer_id for offer in offers}
    # 20 CNY off needs a 199 CNY basket: margin 59.7, half of it 29.85, fits; 5 and 10 fit too.
    assert {"WB_COUPON_5", "WB_COUPON_10", "WB_COUPON_20", "WB_FREE_SHIPPING"} == ids
    # At a 10 % margin half the margin of a 100 CNY basket is 5 CNY: only the 5 CNY coupon fits.
    thin = OfferSettings(gross_margin_rate=0.10)
    offers = eligible_offers(
        features(order_value=100.0), DormancyReason.PRICE, CATALOGUE, thin, NOW
    )
    assert {offer.offer_id for offer in offers} == {"WB_COUPON_5"}


def random_candidates(count: int, seed: int) -> list[Candidate]:
    rng = random.Random(seed)
    reasons = list(DormancyReason)
    tiers = [DormancyTier.LIGHT, DormancyTier.MEDIUM, DormancyTier.HEAVY]
    return [
        Candidate(
            features=features(
                f"c-{i}",
                tier=rng.choice(tiers),
                baseline=rng.uniform(0.002, 0.03),
                uplift=rng.uniform(-0.005, 0.03),
                active=rng.uniform(0.2, 1.0),
                order_value=rng.uniform(60, 600),
            ),
            reason=rng.choice(reasons),
        )
        for i in range(count)
    ]


def test_allocation_keeps_the_average_cost_per_reactivation_under_the_cap() -> None:
    candidates = random_candidates(600, seed=3)
    allocations = allocate(candidates, CATALOGUE, SETTINGS, NOW)
    assert [a.customer_id for a in allocations] == [c.features.customer_id for c in candidates]
    assert within_budget(allocations, 4.0)
    decisions = {a.decision for a in allocations}
    assert AllocationDecision.OFFERED in decisions
    assert AllocationDecision.OVER_BUDGET in decisions  # the budget binds with these customers
    cost = sum(a.expected_cost_cny for a in allocations)
    assert cost / sum(a.purchase_probability for a in allocations) == pytest.approx(4.0, rel=0.02)

    generous = allocate(candidates, CATALOGUE, OfferSettings(max_cost_per_reactivation_cny=50), NOW)
    assert within_budget(generous, 50.0)
    assert sum(a.expected_value_cny for a in generous) > sum(
        a.expected_value_cny for a in allocations
    )
    assert AllocationDecision.OVER_BUDGET not in {a.decision for a in generous}


def test_allocation_is_deterministic() -> None:
    candidates = random_candidates(200, seed=5)
    assert allocate(candidates, CATALOGUE, SETTINGS, NOW) == allocate(
        candidates, CATALOGUE, SETTINGS, NOW
    )


def test_budget_goes_to_the_customer_the_coupon_moves_most() -> None:
    # The loyal customer's likely return frees 0.48 CNY of budget (4 x 0.12), the other two 0.08
    # each: enough for one 10 CNY coupon (budget use 0.5 or 0.26 more than no offer), not two.
    catalogue = OfferCatalogue(version="test", offers=(CATALOGUE.get("WB_COUPON_10"),))
    pair = [
        candidate(customer_id="weak", baseline=0.02, uplift=0.01, active=1.0),
        candidate(customer_id="strong", baseline=0.02, uplift=0.05, active=1.0),
        candidate(customer_id="loyal", baseline=0.12, uplift=0.0, active=1.0),
    ]
    chosen = {a.customer_id: a for a in allocate(pair, catalogue, SETTINGS, NOW)}
    assert chosen["strong"].offer_id == "WB_COUPON_10"
    assert chosen["weak"].decision is AllocationDecision.OVER_BUDGET
    assert chosen["loyal"].decision is AllocationDecision.NO_POSITIVE_VALUE
    assert within_budget(list(chosen.values()), 4.0)


@pytest.mark.parametrize("seed", [11, 13])
def test_greedy_is_close_to_the_best_feasible_allocation(seed: int) -> None:
    candidates = random_candidates(7, seed=seed)
    cap = SETTINGS.max_cost_per_reactivation_cny
    menus = []  # (EV, expected cost, P(purchase)) per option, "no offer" first
    for c in candidates:
        offers = eligible_offers(c.features, c.reason, CATALOGUE, SETTINGS, NOW)
        options = valuable_options(c.features, c.reason, offers, SETTINGS)
        menus.append(
            [
                (0.0, 0.0, c.features.baseline_probability),
                *[
                    (v.expected_value_cny, v.expected_cost_cny, v.purchase_probability)
                    for v in options
                ],
            ]
        )
    unconstrained = sum(max(option[0] for option in menu) for menu in menus)
    best = max(
        sum(option[0] for option in combo)
        for combo in itertools.product(*menus)
        if sum(option[1] for option in combo) <= cap * sum(option[2] for option in combo)
    )
    assert best < unconstrained  # the budget binds, so the choice matters
    greedy = allocate(candidates, CATALOGUE, SETTINGS, NOW)
    assert within_budget(greedy, cap)
    assert sum(a.expected_value_cny for a in greedy) >= 0.95 * best


def test_service_reason_gets_non_monetary_care_first() -> None:
    # A big spender with strong uplift: a monetary apology would have the higher EV.
    service = candidate(
        DormancyReason.SERVICE,
        customer_id="s",
        baseline=0.1,
        uplift=0.05,
        active=1.0,
        order_value=500,
    )
    values = {
        o.offer_id: offer_value(service.features, o, SETTINGS).expected_value_cny
        for o in eligible_offers(service.features, service.reason, CATALOGUE, SETTINGS, NOW)
    }
    assert max(values, key=values.get) == "WB_APOLOGY_COUPON_8"
    generous = OfferSettings(max_cost_per_reactivation_cny=100)
    [allocation] = allocate([service], CATALOGUE, generous, NOW)
    assert CATALOGUE.get(allocation.offer_id).kind is OfferKind.NON_MONETARY
    offer = choose_offer(service.features, service.reason, CATALOGUE, generous, NOW)
    assert offer is not None and offer.kind is OfferKind.NON_MONETARY

    monetary_allowed = OfferSettings(
        max_cost_per_reactivation_cny=100, service_non_monetary_first=False
    )
    [allocation] = allocate([service], CATALOGUE, monetary_allowed, NOW)
    assert allocation.offer_id == "WB_APOLOGY_COUPON_8"

    only_money = OfferCatalogue(version="test", offers=(CATALOGUE.get("WB_APOLOGY_COUPON_8"),))
    [allocation] = allocate([service], only_money, generous, NOW)
    assert allocation.offer_id == "WB_APOLOGY_COUPON_8"


def test_no_offer_for_active_customers_or_after_the_offers_expire() -> None:
    active = candidate(customer_id="a", tier=DormancyTier.ACTIVE)
    [allocation] = allocate([active], CATALOGUE, SETTINGS, NOW)
    assert allocation.offer_id is None
    assert allocation.decision is AllocationDecision.NO_ELIGIBLE_OFFER

    later = datetime(2030, 1, 1, tzinfo=UTC)
    allocations = allocate(random_candidates(50, seed=1), CATALOGUE, SETTINGS, later)
    assert {a.decision for a in allocations} == {AllocationDecision.NO_ELIGIBLE_OFFER}


def test_duplicate_customers_are_rejected() -> None:
    with pytest.raises(ValueError, match="distinct customer ids"):
        allocate([candidate(), candidate()], CATALOGUE, SETTINGS, NOW)


def test_choose_offer_alone_needs_a_self_funding_offer() -> None:
    price = features(baseline=0.02, uplift=0.01, active=1.0)
    # Every price offer costs more than 4 CNY per purchase: a lone customer cannot afford one.
    assert choose_offer(price, DormancyReason.PRICE, CATALOGUE, SETTINGS, NOW) is None
    slack = BudgetUsage(incentive_cost_cny=0.0, reactivations=10.0)
    offer = choose_offer(price, DormancyReason.PRICE, CATALOGUE, SETTINGS, NOW, usage=slack)
    assert offer is not None and offer.kind is OfferKind.MONETARY
    spent = BudgetUsage(incentive_cost_cny=40.0, reactivations=10.0)
    assert choose_offer(price, DormancyReason.PRICE, CATALOGUE, SETTINGS, NOW, usage=spent) is None


def test_choose_offer_picks_the_highest_value_and_skips_excluded_offers() -> None:
    price = features(baseline=0.02, uplift=0.01, active=1.0, order_value=300)
    slack = BudgetUsage(reactivations=100.0)
    options = valuable_options(
        price,
        DormancyReason.PRICE,
        eligible_offers(price, DormancyReason.PRICE, CATALOGUE, SETTINGS, NOW),
        SETTINGS,
    )
    ranked = sorted(options, key=lambda v: v.expected_value_cny, reverse=True)
    best = choose_offer(price, DormancyReason.PRICE, CATALOGUE, SETTINGS, NOW, usage=slack)
    assert best is not None and best.offer_id == ranked[0].offer_id
    second = choose_offer(
        price,
        DormancyReason.PRICE,
        CATALOGUE,
        SETTINGS,
        NOW,
        usage=slack,
        exclude_offer_ids={best.offer_id},
    )
    assert second is not None and second.offer_id == ranked[1].offer_id
