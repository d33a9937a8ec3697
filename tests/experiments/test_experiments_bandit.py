import math
import random
from collections import Counter

import pytest
from pydantic import TypeAdapter

from experiments.bandit import (
    BetaPosterior,
    choose_arm,
    initial_posteriors,
    probability_best,
    promote_winner,
    update,
)

POSTERIOR_MAP = TypeAdapter(dict[str, BetaPosterior])


def run_bandit(
    true_rates: dict[str, float], steps: int, floor: float, seed: int
) -> tuple[list[str], dict[str, BetaPosterior]]:
    policy_rng = random.Random(seed)
    world_rng = random.Random(seed + 1)
    posteriors = initial_posteriors(true_rates)
    chosen = []
    for _ in range(steps):
        arm_id = choose_arm(posteriors, policy_rng, floor)
        posteriors = update(posteriors, arm_id, world_rng.random() < true_rates[arm_id])
        chosen.append(arm_id)
    return chosen, posteriors


def test_thompson_sampling_converges_to_the_clearly_best_arm() -> None:
    chosen, posteriors = run_bandit({"a": 0.04, "b": 0.06, "c": 0.12}, 4_000, 0.05, seed=11)
    late = Counter(chosen[-1_000:])
    assert late["c"] / 1_000 > 0.85
    assert posteriors["c"].mean == pytest.approx(0.12, abs=0.02)
    assert sum(p.trials for p in posteriors.values()) == 4_000


def test_same_seed_same_choices_even_after_a_json_round_trip() -> None:
    posteriors = {
        "b": BetaPosterior(successes=3, failures=40),
        "a": BetaPosterior(successes=5, failures=30),
    }
    restored = POSTERIOR_MAP.validate_json(POSTERIOR_MAP.dump_json(posteriors))
    # Different insertion order after the round trip must not change the draws.
    restored = dict(reversed(list(restored.items())))
    assert choices(posteriors, seed=7) == choices(restored, seed=7)


def choices(posteriors: dict[str, BetaPosterior], seed: int) -> list[str]:
    rng = random.Random(seed)
    return [choose_arm(posteriors, rng, 0.1) for _ in range(200)]


@pytest.mark.parametrize("floor", [0.3, 0.6])
def test_exploration_floor_gives_every_arm_its_share(floor: float) -> None:
    # Posteriors so certain that pure Thompson sampling would never pick b or c.
    posteriors = {
        "a": BetaPosterior(successes=1_000, failures=0),
        "b": BetaPosterior(successes=0, failures=1_000),
        "c": BetaPosterior(successes=0, failures=1_000),
    }
    rng = random.Random(3)
    n = 30_000
    counts = Counter(choose_arm(posteriors, rng, floor) for _ in range(n))
    for loser in ("b", "c"):
        share = counts[loser] / n
        assert share == pytest.approx(floor / 3, abs=5 * math.sqrt(floor / 3 / n))


def test_without_floor_a_hopeless_arm_is_not_chosen() -> None:
    posteriors = {
        "a": BetaPosterior(successes=1_000, failures=0),
        "b": BetaPosterior(successes=0, failures=1_000),
    }
    rng = random.Random(3)
    assert {choose_arm(posteriors, rng, 0.0) for _ in range(2_000)} == {"a"}


def test_update_returns_new_posteriors_and_leaves_the_input_alone() -> None:
    before = initial_posteriors(["a", "b"])
    after = update(update(before, "a", True), "a", False)
    assert before["a"] == BetaPosterior()
    assert (after["a"].alpha, after["a"].beta, after["a"].trials) == (2.0, 2.0, 2)
    assert after["b"] is before["b"]


def exact_probability_b_beats_a(a: BetaPosterior, b: BetaPosterior) -> float:
    """Closed form of P(p_b > p_a) for integer beta parameters (Evan Miller, 2015)."""

    def log_beta(x: float, y: float) -> float:
        return math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y)

    return sum(
        math.exp(
            log_beta(a.alpha + i, a.beta + b.beta)
            - math.log(b.beta + i)
            - log_beta(1 + i, b.beta)
            - log_beta(a.alpha, a.beta)
        )
        for i in range(int(b.alpha))
    )


def test_probability_best_matches_the_closed_form_for_two_arms() -> None:
    a = BetaPosterior(successes=20, failures=180)
    b = BetaPosterior(successes=30, failures=170)
    estimate = probability_best({"a": a, "b": b}, 20_000, random.Random(5))
    exact = exact_probability_b_beats_a(a, b)
    assert 0.85 < exact < 0.99
    assert estimate["b"] == pytest.approx(exact, abs=0.015)
    assert estimate["a"] + estimate["b"] == pytest.approx(1.0)


def test_probability_best_is_even_for_identical_arms() -> None:
    posteriors = {arm: BetaPosterior(successes=10, failures=90) for arm in "abc"}
    estimate = probability_best(posteriors, 6_000, random.Random(1))
    assert all(p == pytest.approx(1 / 3, abs=0.03) for p in estimate.values())


def test_promotion_needs_the_threshold_and_enough_trials() -> None:
    clear = {
        "a": BetaPosterior(successes=10, failures=490),
        "b": BetaPosterior(successes=40, failures=460),
    }
    promotion = promote_winner(clear, 0.95, random.Random(2), draws=5_000, min_trials=400)
    assert promotion.winner == "b" and promotion.probability_best["b"] > 0.99
    too_early = promote_winner(clear, 0.95, random.Random(2), draws=5_000, min_trials=600)
    assert too_early.winner is None
    close = {
        "a": BetaPosterior(successes=20, failures=480),
        "b": BetaPosterior(successes=22, failures=478),
    }
    assert promote_winner(close, 0.95, random.Random(2), draws=5_000).winner is None


def test_bad_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="at least one arm"):
        choose_arm({}, random.Random(0), 0.1)
    with pytest.raises(ValueError, match=r"exploration floor must be in \[0, 1\]"):
        choose_arm(initial_posteriors(["a"]), random.Random(0), 1.5)
    with pytest.raises(ValueError, match="draws must be positive"):
        probability_best(initial_posteriors(["a"]), 0, random.Random(0))
