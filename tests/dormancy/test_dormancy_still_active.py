import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from dormancy.still_active import MbgNbdParams, probability_alive, probability_purchase_within
from lab.dormancy.fitting import fit_mbgnbd

TRUE = MbgNbdParams(r=0.5, alpha=30.0, a=0.8, b=2.5)


def simulate_customers(
    params: MbgNbdParams, customers: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Draw customers from the MBG/NBD story: (frequency, recency, age, alive at the end)."""
    rng = np.random.default_rng(seed)
    frequency, recency, age, alive = [], [], [], []
    for _ in range(customers):
        rate = rng.gamma(params.r, 1 / params.alpha)
        dropout = rng.beta(params.a, params.b)
        horizon = rng.uniform(150, 400)
        x, last, t = 0, 0.0, 0.0
        is_alive = rng.random() >= dropout  # may leave right after the first purchase
        while is_alive:
            t += rng.exponential(1 / rate)
            if t > horizon:
                break
            x, last = x + 1, t
            is_alive = rng.random() >= dropout
        frequency.append(x)
        recency.append(last)
        age.append(horizon)
        alive.append(is_alive)
    return np.array(frequency), np.array(recency), np.array(age), np.array(alive)


@pytest.fixture(scope="module")
def synthetic() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return simulate_customers(TRUE, 4000, seed=11)


def test_fit_recovers_the_purchase_process(synthetic) -> None:
    x, t_x, age, _ = synthetic
    fitted = fit_mbgnbd(x, t_x, age)
    assert fitted.r == pytest.approx(TRUE.r, rel=0.25)
    assert fitted.alpha == pytest.approx(TRUE.alpha, rel=0.35)
    mean_dropout = fitted.a / (fitted.a + fitted.b)
    assert mean_dropout == pytest.approx(TRUE.a / (TRUE.a + TRUE.b), abs=0.08)


def test_probability_alive_is_calibrated_and_ranks_the_truly_alive(synthetic) -> None:
    x, t_x, age, alive = synthetic
    predicted = probability_alive(fit_mbgnbd(x, t_x, age), x, t_x, age)
    assert predicted.mean() == pytest.approx(alive.mean(), abs=0.03)
    # Even the true parameters cannot tell the alive from the quiet perfectly: match them.
    oracle = roc_auc_score(alive, probability_alive(TRUE, x, t_x, age))
    assert roc_auc_score(alive, predicted) == pytest.approx(oracle, abs=0.01)
    assert oracle > 0.65


def test_a_long_silence_lowers_the_probability() -> None:
    recent, silent = probability_alive(TRUE, [5, 5], [290, 100], [300, 300])
    assert 0 < silent < recent < 1


def test_purchase_within_a_horizon_is_below_alive_and_grows_with_it() -> None:
    alive = probability_alive(TRUE, 3, 100, 200)
    short = probability_purchase_within(TRUE, 3, 100, 200, 30.0)
    long = probability_purchase_within(TRUE, 3, 100, 200, 365.0)
    assert 0 < short < long < alive


def test_bad_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="recency <= age"):
        fit_mbgnbd([1, 2], [50, 300], [100, 200])
