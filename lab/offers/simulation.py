"""What the budgeted allocation would do on real customers, driven by the uplift estimator.

The population is the held-out part of the Hillstrom experiment. The estimator's per-customer
baseline and uplift are taken as the truth of the simulation; every strategy is scored against
them, so the figures are expected values under the model, not observed outcomes. The assumptions
are in `SimulationAssumptions` and printed by `journeyctl offers evaluate`.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from dormancy.labels import DormancyReason, DormancyTier
from dormancy.settings import DormancySettings
from dormancy.tiers import tier_for_days
from offers.allocation import Candidate, allocate
from offers.catalogue import OfferCatalogue
from offers.settings import OfferSettings
from offers.uplift_metrics import average_treatment_effect
from offers.value import CustomerOfferFeatures, OfferValue, offer_value


class SimulationAssumptions(BaseModel):
    model_config = ConfigDict(frozen=True)

    reason_shares: dict[DormancyReason, float] = {
        DormancyReason.PRICE: 0.45,
        DormancyReason.CATEGORY: 0.35,
        DormancyReason.SERVICE: 0.20,
    }
    usd_to_cny: float = Field(default=7.1, gt=0)
    probability_active: float = Field(default=1.0, ge=0, le=1)
    uniform_offer_id: str = "WB_COUPON_10"
    seed: int = 0

    def describe(self, order_value_cny: float, settings: OfferSettings) -> list[str]:
        shares = ", ".join(f"{r} {s:.0%}" for r, s in self.reason_shares.items())
        return [
            "population: held-out Hillstrom customers (all bought within 12 months); days since "
            "last purchase = 30 x recency months, tiered by the dormancy settings",
            "reactivation = conversion within the experiment's two weeks; baseline = the control "
            "model's P(conversion), uplift = the estimator's treated - control difference",
            "an offer's uplift = the customer's estimated e-mail uplift x the offer's "
            "relative_uplift from the catalogue: those factors are assumptions, not measured",
            f"P(still active) = {self.probability_active:g} for everyone (Hillstrom has no "
            "purchase history to fit the dormancy model on)",
            f"dormancy reasons drawn at random (seed {self.seed}): {shares}; Hillstrom has no "
            "behaviour signals",
            f"order value = mean spend of converters in the training split x {self.usd_to_cny} "
            f"CNY/USD = {order_value_cny:.0f} CNY for everyone; "
            f"gross margin {settings.gross_margin_rate:.0%}",
            "every customer who buys while holding a coupon redeems it (cost = face value x "
            "P(purchase)); per-grant benefits cost their full cost on grant",
            f"'same coupon for all' gives {self.uniform_offer_id} to everyone, ignoring reason, "
            "tier, margin rules and budget",
            "'EV allocation, flat uplift' decides with the average uplift for everyone (no "
            "estimator); like every plan it is then scored with the per-customer estimates, so "
            "its budget can break where it believed it held",
            f"budget: total expected cost <= {settings.max_cost_per_reactivation_cny:.2f} CNY x "
            "expected reactivations of all customers in the campaign; figures are expectations",
        ]


class StrategyResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    customers: int
    offered: int
    reactivations: float
    incremental_reactivations: float
    incentive_cost_cny: float
    cost_per_reactivation_cny: float
    cost_per_incremental_cny: float | None
    budget_held: bool
    offer_mix: dict[str, int]


class ObservedCheck(BaseModel):
    """Real outcomes of the randomised e-mail among the dormant candidates the allocation did and
    did not give an offer: does it pick customers who really respond more to a contact?"""

    model_config = ConfigDict(frozen=True)

    offered_customers: int
    offered_observed_uplift: float
    other_customers: int
    other_observed_uplift: float


class SimulationReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    assumptions: list[str]
    order_value_cny: float
    strategies: list[StrategyResult]
    observed: ObservedCheck


def simulation_candidates(
    test: pd.DataFrame,
    baseline: np.ndarray,
    uplift: np.ndarray,
    order_value_cny: float,
    assumptions: SimulationAssumptions,
    dormancy_settings: DormancySettings,
) -> list[Candidate]:
    rng = np.random.default_rng(assumptions.seed)
    reasons = list(assumptions.reason_shares)
    shares = np.array([assumptions.reason_shares[r] for r in reasons])
    drawn = rng.choice(len(reasons), size=len(test), p=shares / shares.sum())
    tiers = [tier_for_days(30 * int(m), dormancy_settings) for m in test["recency"]]
    return [
        Candidate(
            features=CustomerOfferFeatures(
                customer_id=str(index),
                tier=tier,
                baseline_probability=float(base),
                uplift=float(lift),
                probability_active=assumptions.probability_active,
                expected_order_value_cny=order_value_cny,
            ),
            reason=reasons[reason],
        )
        for index, tier, base, lift, reason in zip(
            test.index, tiers, baseline, uplift, drawn, strict=True
        )
        # A customer the settings do not call dormant is not a winback candidate.
        if tier is not DormancyTier.ACTIVE
    ]


def score_plan(
    name: str,
    candidates: Sequence[Candidate],
    plan: Mapping[str, str | None],
    catalogue: OfferCatalogue,
    settings: OfferSettings,
) -> StrategyResult:
    """Expected outcome of giving plan[customer_id] (None = no offer) to each candidate."""
    values: list[OfferValue] = []
    for candidate in candidates:
        offer_id = plan.get(candidate.features.customer_id)
        if offer_id is None:
            base = candidate.features.baseline_probability
            values.append(
                OfferValue(
                    offer_id="",
                    purchase_probability=base,
                    incremental_probability=0.0,
                    expected_margin_cny=0.0,
                    expected_cost_cny=0.0,
                    expected_value_cny=0.0,
                )
            )
        else:
            values.append(offer_value(candidate.features, catalogue.get(offer_id), settings))
    reactivations = sum(v.purchase_probability for v in values)
    incremental = sum(v.incremental_probability for v in values)
    cost = sum(v.expected_cost_cny for v in values)
    cap = settings.max_cost_per_reactivation_cny
    return StrategyResult(
        name=name,
        customers=len(candidates),
        offered=sum(1 for v in values if v.offer_id),
        reactivations=reactivations,
        incremental_reactivations=incremental,
        incentive_cost_cny=cost,
        cost_per_reactivation_cny=cost / reactivations,
        cost_per_incremental_cny=cost / incremental if incremental > 0 else None,
        # A relative tolerance: the greedy lands exactly on the cap when the budget binds.
        budget_held=cost <= cap * reactivations * (1 + 1e-9),
        offer_mix=dict(sorted(Counter(v.offer_id for v in values if v.offer_id).items())),
    )


def _observed_uplift(frame: pd.DataFrame) -> float:
    return average_treatment_effect(frame["conversion"].to_numpy(), frame["treatment"].to_numpy())


def simulate(
    train: pd.DataFrame,
    test: pd.DataFrame,
    baseline: np.ndarray,
    uplift: np.ndarray,
    catalogue: OfferCatalogue,
    settings: OfferSettings,
    dormancy_settings: DormancySettings,
    assumptions: SimulationAssumptions,
    now: datetime,
) -> SimulationReport:
    converters = train.loc[train["conversion"] == 1, "spend"]
    order_value = float(converters.mean()) * assumptions.usd_to_cny
    candidates = simulation_candidates(
        test, baseline, uplift, order_value, assumptions, dormancy_settings
    )
    ids = [c.features.customer_id for c in candidates]

    budgeted = {a.customer_id: a.offer_id for a in allocate(candidates, catalogue, settings, now)}
    flat_uplift = float(np.mean([c.features.uplift for c in candidates]))
    flat_candidates = [
        c.model_copy(update={"features": c.features.model_copy(update={"uplift": flat_uplift})})
        for c in candidates
    ]
    flat = {a.customer_id: a.offer_id for a in allocate(flat_candidates, catalogue, settings, now)}
    plans: list[tuple[str, Mapping[str, str | None]]] = [
        ("no offer", {}),
        ("same coupon for all", dict.fromkeys(ids, assumptions.uniform_offer_id)),
        ("EV allocation, flat uplift", flat),
        ("EV allocation, estimator", budgeted),
    ]
    dormant = test[test.index.astype(str).isin(ids)]
    offered_rows = dormant.index.astype(str).isin([i for i, o in budgeted.items() if o])
    return SimulationReport(
        assumptions=assumptions.describe(order_value, settings),
        order_value_cny=order_value,
        strategies=[score_plan(n, candidates, p, catalogue, settings) for n, p in plans],
        observed=ObservedCheck(
            offered_customers=int(offered_rows.sum()),
            offered_observed_uplift=_observed_uplift(dormant[offered_rows]),
            other_customers=int((~offered_rows).sum()),
            other_observed_uplift=_observed_uplift(dormant[~offered_rows]),
        ),
    )
