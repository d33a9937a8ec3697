"""Offline evaluation on a logged randomised experiment: the Thompson bandit against a fixed
equal split and the best arm in hindsight (replayed, averaged over seeds), and each treatment's
lift against the control group."""

import random
import time
from collections import Counter
from collections.abc import Callable, Sequence

from pydantic import BaseModel, ConfigDict

from experiments.lift import Lift, lift
from lab.experiments.hillstrom import CONTROL_ARM, REWARDS, LoggedExperiment
from lab.experiments.replay import (
    EqualSplitPolicy,
    FixedArmPolicy,
    Policy,
    ReplayTrace,
    ThompsonPolicy,
    replay,
)

THOMPSON = "thompson"
EQUAL_SPLIT = "equal_split"
BEST_IN_HINDSIGHT = "best_in_hindsight"


class PolicyCurve(BaseModel):
    """Cumulative reward of one policy at each checkpoint (accepted rows), mean over seeds."""

    model_config = ConfigDict(frozen=True)

    reward: str
    policy: str
    # None where at least one seed ran out of rows before the checkpoint.
    cumulative: dict[int, float | None]
    trials: float
    arm_share: dict[str, float]


class ArmLift(BaseModel):
    model_config = ConfigDict(frozen=True)

    arm: str
    reward: str
    lift: Lift


class OfflineEvaluation(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: int
    seeds: list[int]
    checkpoints: list[int]
    exploration_floor: float
    best_arm: dict[str, str]
    curves: list[PolicyCurve]
    lifts: list[ArmLift]

    def curve(self, reward: str, policy: str) -> PolicyCurve:
        return next(c for c in self.curves if c.reward == reward and c.policy == policy)


def evaluate_offline(
    logged: LoggedExperiment,
    seeds: Sequence[int],
    checkpoints: Sequence[int],
    exploration_floor: float,
    confidence: float = 0.95,
    progress: Callable[[str], None] | None = None,
) -> OfflineEvaluation:
    """Replay the three policies for each reward and seed, and measure each arm's lift."""
    best_arm = {reward: _best_arm(logged, reward) for reward in REWARDS}
    traces: dict[tuple[str, str], list[ReplayTrace]] = {}
    for index, seed in enumerate(seeds, start=1):
        started = time.perf_counter()
        # Every policy meets the same row order for a seed: common random numbers make the
        # comparison between policies far less noisy than independent streams would.
        order = list(range(len(logged)))
        random.Random(seed).shuffle(order)
        for reward in REWARDS:
            policies: dict[str, Policy] = {
                THOMPSON: ThompsonPolicy(logged.arm_ids, exploration_floor),
                EQUAL_SPLIT: EqualSplitPolicy(logged.arm_ids),
                BEST_IN_HINDSIGHT: FixedArmPolicy(best_arm[reward]),
            }
            for name, policy in policies.items():
                rng = random.Random(f"{seed}/{reward}/{name}")
                trace = replay(policy, logged, reward, order, rng, checkpoints)
                traces.setdefault((reward, name), []).append(trace)
        if progress is not None:
            elapsed = time.perf_counter() - started
            progress(f"seed {seed} ({index}/{len(seeds)}) replayed in {elapsed:.1f} s")
    curves = [
        _mean_curve(reward, name, runs, checkpoints) for (reward, name), runs in traces.items()
    ]
    return OfflineEvaluation(
        rows=len(logged),
        seeds=list(seeds),
        checkpoints=sorted(checkpoints),
        exploration_floor=exploration_floor,
        best_arm=best_arm,
        curves=curves,
        lifts=treatment_lifts(logged, confidence),
    )


def treatment_lifts(logged: LoggedExperiment, confidence: float = 0.95) -> list[ArmLift]:
    """Lift of every non-control arm over the control arm, for every reward."""
    lifts = []
    for reward in REWARDS:
        control_successes, control_n = logged.counts(CONTROL_ARM, reward)
        for arm_id in logged.arm_ids:
            if arm_id == CONTROL_ARM:
                continue
            successes, n = logged.counts(arm_id, reward)
            measured = lift(successes, n, control_successes, control_n, confidence)
            lifts.append(ArmLift(arm=arm_id, reward=reward, lift=measured))
    return lifts


def _best_arm(logged: LoggedExperiment, reward: str) -> str:
    rates = {arm_id: logged.rate(arm_id, reward) for arm_id in logged.arm_ids}
    return max(rates, key=rates.__getitem__)


def _mean_curve(
    reward: str, policy: str, runs: list[ReplayTrace], checkpoints: Sequence[int]
) -> PolicyCurve:
    cumulative: dict[int, float | None] = {}
    for checkpoint in sorted(checkpoints):
        reached = [run.at_checkpoint[checkpoint] for run in runs if checkpoint in run.at_checkpoint]
        cumulative[checkpoint] = sum(reached) / len(runs) if len(reached) == len(runs) else None
    pulls: Counter[str] = Counter()
    for run in runs:
        pulls.update(run.pulls)
    total = sum(pulls.values())
    return PolicyCurve(
        reward=reward,
        policy=policy,
        cumulative=cumulative,
        trials=sum(run.trials for run in runs) / len(runs),
        arm_share={arm_id: count / total for arm_id, count in sorted(pulls.items())},
    )
