"""Thompson sampling over Beta posteriors for binary rewards (click, conversion).

Pure functions over immutable posteriors, with the random source passed in: the workflow passes
workflow.random(), so a choice is recorded in history and replays identically.
"""

import random
from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict

from models.posteriors import BetaPosterior


class Promotion(BaseModel):
    """Outcome of a promotion check: the winner (or None) and the evidence behind it."""

    model_config = ConfigDict(frozen=True)

    winner: str | None
    probability_best: dict[str, float]


def initial_posteriors(
    arm_ids: Iterable[str], prior_alpha: float = 1.0, prior_beta: float = 1.0
) -> dict[str, BetaPosterior]:
    """One uninformed (uniform by default) posterior per arm."""
    return {
        arm_id: BetaPosterior(prior_alpha=prior_alpha, prior_beta=prior_beta) for arm_id in arm_ids
    }


def choose_arm(posteriors: Mapping[str, BetaPosterior], rng: random.Random, floor: float) -> str:
    """Thompson sampling with an exploration floor: each of the k arms is chosen with
    probability at least floor / k."""
    if not posteriors:
        raise ValueError("choose_arm needs at least one arm")
    if not 0.0 <= floor <= 1.0:
        raise ValueError(f"exploration floor must be in [0, 1], got {floor}")
    # Sorted, not insertion order: a posterior map that went through JSON and back must still
    # consume the random stream arm by arm in the same order.
    arm_ids = sorted(posteriors)
    if rng.random() < floor:
        return rng.choice(arm_ids)
    samples = [rng.betavariate(posteriors[a].alpha, posteriors[a].beta) for a in arm_ids]
    return arm_ids[max(range(len(arm_ids)), key=samples.__getitem__)]


def update(
    posteriors: Mapping[str, BetaPosterior], arm_id: str, reward: bool
) -> dict[str, BetaPosterior]:
    """New posteriors with one observed reward for `arm_id`; the input is left unchanged."""
    current = posteriors[arm_id]
    if reward:
        changed = current.model_copy(update={"successes": current.successes + 1})
    else:
        changed = current.model_copy(update={"failures": current.failures + 1})
    return {**posteriors, arm_id: changed}


def probability_best(
    posteriors: Mapping[str, BetaPosterior], draws: int, rng: random.Random
) -> dict[str, float]:
    """Monte Carlo estimate of each arm's probability of having the highest rate."""
    if not posteriors:
        raise ValueError("probability_best needs at least one arm")
    if draws < 1:
        raise ValueError(f"draws must be positive, got {draws}")
    arm_ids = sorted(posteriors)
    wins = dict.fromkeys(arm_ids, 0)
    for _ in range(draws):
        samples = [rng.betavariate(posteriors[a].alpha, posteriors[a].beta) for a in arm_ids]
        wins[arm_ids[max(range(len(arm_ids)), key=samples.__getitem__)]] += 1
    return {arm_id: count / draws for arm_id, count in wins.items()}


def promote_winner(
    posteriors: Mapping[str, BetaPosterior],
    threshold: float,
    rng: random.Random,
    draws: int = 10_000,
    min_trials: int = 0,
) -> Promotion:
    """Promote the arm whose P(best) reaches `threshold`, once every arm has `min_trials`."""
    probabilities = probability_best(posteriors, draws, rng)
    leader = max(probabilities, key=probabilities.__getitem__)
    enough_data = all(p.trials >= min_trials for p in posteriors.values())
    winner = leader if enough_data and probabilities[leader] >= threshold else None
    return Promotion(winner=winner, probability_best=probabilities)
