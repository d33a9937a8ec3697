from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.offers import app
from dormancy.settings import DormancySettings
from lab.offers.evaluation import repeated_splits
from lab.offers.hillstrom import (
    default_hillstrom_path,
    feature_matrix,
    load_hillstrom,
    train_test_split_stratified,
)
from lab.offers.simulation import SimulationAssumptions, simulate
from lab.offers.uplift_training import fit_t_learner, logistic_t_learner_uplift
from offers.catalogue import load_catalogue
from offers.settings import OfferSettings
from offers.uplift_metrics import average_treatment_effect, qini_coefficient, uplift_at_k
from offers.uplift_model import UpliftFeatures, load_uplift_model, predict_one, save_uplift_model

HILLSTROM = default_hillstrom_path()


@pytest.fixture(scope="module")
def hillstrom():
    return load_hillstrom(HILLSTROM)


def test_qini_rewards_ranking_the_responsive_first() -> None:
    rng = np.random.default_rng(0)
    n = 20_000
    responsive = rng.random(n) < 0.3
    treatment = (rng.random(n) < 0.5).astype(int)
    # Only the responsive third reacts to treatment (10 % -> 30 %); everyone else converts at 10 %.
    outcome = (rng.random(n) < np.where(responsive & (treatment == 1), 0.3, 0.1)).astype(int)
    assert qini_coefficient(outcome, treatment, responsive.astype(float)) > 0.2
    assert qini_coefficient(outcome, treatment, -responsive.astype(float)) < -0.2
    effect = average_treatment_effect(outcome, treatment)
    assert uplift_at_k(outcome, treatment, responsive.astype(float), 0.2) > 2.5 * effect


def test_uplift_estimator_beats_random_targeting_on_held_out_splits(hillstrom) -> None:
    # Conversions are rare (about 0.9 %), so one split is noisy: look at five.
    result = repeated_splits(
        hillstrom, "conversion", logistic_t_learner_uplift, splits=5, test_share=0.3, first_seed=0
    )
    assert result.mean_qini > 0.03
    assert result.qini_above_random >= 4
    assert result.mean_uplift_ratio_at[0.1] > 1.2


def test_visit_uplift_beats_random_on_a_subsample(hillstrom) -> None:
    subsample = hillstrom.sample(20_000, random_state=0)
    result = repeated_splits(
        subsample, "visit", logistic_t_learner_uplift, splits=3, test_share=0.3, first_seed=0
    )
    assert result.qini_above_random == 3
    assert all(ratio > 1 for ratio in result.mean_uplift_ratio_at.values())


def test_shipped_model_scores_one_customer() -> None:
    model = load_uplift_model()
    assert model.outcome == "conversion" and model.trained_rows == 64_000
    customer = UpliftFeatures(
        recency_months=3,
        history_spend=250.0,
        bought_mens=False,
        bought_womens=True,
        newbie=False,
        area="urban",
        channel="web",
    )
    baseline, uplift = predict_one(model, customer)
    assert 0.001 < baseline < 0.05
    assert -0.02 < uplift < 0.05


def test_train_uplift_writes_a_loadable_model(tmp_path: Path) -> None:
    output = tmp_path / "uplift.json"
    result = CliRunner().invoke(
        app, ["train-uplift", "--path", str(HILLSTROM), "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert "from 64000 rows" in result.output
    trained, shipped = load_uplift_model(output), load_uplift_model()
    # The same fit up to the last bits a BLAS or scikit-learn release may change.
    assert trained.model_dump(exclude={"version", "treated", "control"}) == shipped.model_dump(
        exclude={"version", "treated", "control"}
    )
    for arm in ("treated", "control"):
        ours, theirs = getattr(trained, arm), getattr(shipped, arm)
        assert ours.intercept == pytest.approx(theirs.intercept, rel=1e-9)
        assert ours.coefficients == pytest.approx(theirs.coefficients, rel=1e-9, abs=1e-12)


def test_a_model_with_other_features_is_rejected(tmp_path: Path) -> None:
    model = load_uplift_model()
    other = model.model_copy(update={"features": tuple(reversed(model.features))})
    path = tmp_path / "other.json"
    save_uplift_model(other, path)
    with pytest.raises(ValueError, match="do not match"):
        load_uplift_model(path)


def test_simulated_allocation_holds_the_budget_and_beats_no_offer(hillstrom) -> None:
    train, test = train_test_split_stratified(hillstrom, 0.3, seed=0)
    test = test.sample(4000, random_state=1)
    model = fit_t_learner(
        feature_matrix(train),
        train["treatment"].to_numpy(),
        train["conversion"].to_numpy(),
        outcome_name="conversion",
        version="test",
        data_source="hillstrom",
    )
    baseline, uplift = model.predict(feature_matrix(test))
    report = simulate(
        train,
        test,
        baseline,
        uplift,
        load_catalogue(),
        OfferSettings(),
        DormancySettings(),
        SimulationAssumptions(),
        datetime(2026, 11, 24, tzinfo=UTC),
    )
    by_name = {s.name: s for s in report.strategies}
    none, uniform = by_name["no offer"], by_name["same coupon for all"]
    budgeted = by_name["EV allocation, estimator"]
    assert uniform.cost_per_reactivation_cny == pytest.approx(10.0)
    assert not uniform.budget_held
    assert budgeted.budget_held
    assert budgeted.cost_per_reactivation_cny <= 4.0 + 1e-9
    assert budgeted.reactivations > none.reactivations
    assert budgeted.incentive_cost_cny < uniform.incentive_cost_cny
    assert len(report.assumptions) >= 8


def test_evaluate_command_prints_qini_and_the_simulation() -> None:
    result = CliRunner().invoke(
        app,
        ["evaluate", "--path", str(HILLSTROM), "--splits", "1", "--bootstrap", "10"]
        + ["--at", "2026-11-24T00:00:00"],
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("Qini coefficient") == 3
    assert "simulation assumptions:" in result.output
    budgeted = next(
        line for line in result.output.splitlines() if line.startswith("EV allocation, estimator")
    )
    assert budgeted.endswith("held")
    uniform = next(
        line for line in result.output.splitlines() if line.startswith("same coupon for all ")
    )
    assert "10.00" in uniform and uniform.endswith("BROKEN")
