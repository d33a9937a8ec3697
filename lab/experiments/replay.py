"""Offline policy evaluation by rejection-sampling replay (Li, Chu, Langford, Wang, WSDM 2011).

Stream the logged rows in random order; at each row the policy picks an arm; if it matches the
arm the row was logged with, the policy sees that row's real outcome and learns from it,
otherwise the row is skipped. With a uniformly random logging policy the accepted rows are an
unbiased sample of what the policy would have met live, so cumulative reward after T accepted
rows estimates its reward over T live decisions.
"""

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from experiments.bandit import choose_arm, initial_posteriors, update
from lab.experiments.hillstrom import LoggedExperiment


class Policy(Protocol):
    def choose(self, rng: random.Random) -> str: ...

    def observe(self, arm_id: str, reward: bool) -> None: ...


class ThompsonPolicy:
    """The production bandit: Thompson sampling with an exploration floor."""

    def __init__(self, arm_ids: Sequence[str], floor: float) -> None:
        self.posteriors = initial_posteriors(arm_ids)
        self.floor = floor

    def choose(self, rng: random.Random) -> str:
        return choose_arm(self.posteriors, rng, self.floor)

    def observe(self, arm_id: str, reward: bool) -> None:
        self.posteriors = update(self.posteriors, arm_id, reward)


class EqualSplitPolicy:
    """A fixed A/B/N split with equal weights; it never learns."""

    def __init__(self, arm_ids: Sequence[str]) -> None:
        self.arm_ids = list(arm_ids)

    def choose(self, rng: random.Random) -> str:
        return rng.choice(self.arm_ids)

    def observe(self, arm_id: str, reward: bool) -> None:
        return None


class FixedArmPolicy:
    """Always the same arm: with the arm best in hindsight, the oracle the others chase."""

    def __init__(self, arm_id: str) -> None:
        self.arm_id = arm_id

    def choose(self, rng: random.Random) -> str:
        return self.arm_id

    def observe(self, arm_id: str, reward: bool) -> None:
        return None


@dataclass
class ReplayTrace:
    """One replay run: cumulative reward at each checkpoint reached, and the arms played."""

    trials: int = 0
    reward: int = 0
    at_checkpoint: dict[int, int] = field(default_factory=dict)
    pulls: Counter[str] = field(default_factory=Counter)


def replay(
    policy: Policy,
    logged: LoggedExperiment,
    reward: str,
    order: Sequence[int],
    rng: random.Random,
    checkpoints: Sequence[int],
) -> ReplayTrace:
    """Run `policy` over the logged rows in `order`; checkpoints count accepted rows."""
    outcomes = logged.outcomes[reward]
    pending = sorted(checkpoints)
    trace = ReplayTrace()
    for row in order:
        arm_id = policy.choose(rng)
        if arm_id != logged.arms[row]:
            continue
        success = outcomes[row] == 1
        policy.observe(arm_id, success)
        trace.trials += 1
        trace.reward += success
        trace.pulls[arm_id] += 1
        while pending and trace.trials == pending[0]:
            trace.at_checkpoint[pending.pop(0)] = trace.reward
    return trace
