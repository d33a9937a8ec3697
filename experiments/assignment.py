"""Stable assignment of a customer to an experiment's holdout or arm.

The bucket is a hash of (experiment id, customer id), never Python's hash() (salted per process)
or a random draw, so the same customer lands in the same place in workflow code, on replay, in
an activity retry and in another process.
"""

import hashlib

from pydantic import BaseModel, ConfigDict, Field

from experiments.definitions import Allocation, Arm, Experiment

# The arm recorded for a customer in an experiment's holdout (their would-be send is suppressed).
HOLDOUT_ARM = "holdout"


def sent_arm(experiment: Experiment | None, arm_id: str | None) -> Arm | None:
    """The arm a message was decided under (its ledger row's `arm_id`); None outside an
    experiment and in its holdout, where the journey's own choices stand."""
    if experiment is None or arm_id is None or arm_id == HOLDOUT_ARM:
        return None
    return experiment.arm(arm_id)


# 53 bits: the most a float holds exactly, so every bucket is distinct and strictly below 1.
_BUCKET_BITS = 53


class Assignment(BaseModel):
    """Where a customer falls in one experiment; recorded on every decision it shapes.

    arm_id is None in the holdout, and also outside it for a bandit with no promoted winner:
    the arm is then drawn per send with bandit.choose_arm.
    """

    model_config = ConfigDict(frozen=True)

    experiment_id: str
    arm_id: str | None
    in_holdout: bool
    bucket: float = Field(ge=0.0, lt=1.0)


def bucket(experiment_id: str, customer_id: str) -> float:
    """Uniform number in [0, 1) fixed by the experiment and customer ids."""
    key = f"{experiment_id}\x1f{customer_id}".encode()
    digest = hashlib.sha256(key).digest()
    return (int.from_bytes(digest[:8], "big") >> (64 - _BUCKET_BITS)) / 2**_BUCKET_BITS


def assign(experiment: Experiment, customer_id: str, winner: str | None = None) -> Assignment:
    """Holdout first (the lowest `holdout_share` of buckets), then an arm by the fixed weights.

    `winner` is a promoted arm: every treated customer gets it while the holdout stays in place,
    so lift can still be measured after promotion.
    """
    if winner is not None:
        experiment.arm(winner)  # a mistyped winner fails for every customer, not just the treated
    position = bucket(experiment.id, customer_id)
    if position < experiment.holdout_share:
        return Assignment(
            experiment_id=experiment.id, arm_id=None, in_holdout=True, bucket=position
        )
    if winner is not None:
        arm_id: str | None = winner
    elif experiment.allocation is Allocation.BANDIT:
        arm_id = None
    else:
        # Rescale the treated part of the bucket range to [0, 1) and walk the cumulative weights.
        treated = (position - experiment.holdout_share) / (1.0 - experiment.holdout_share)
        arm_id = _arm_at(experiment.arm_weights(), treated)
    return Assignment(experiment_id=experiment.id, arm_id=arm_id, in_holdout=False, bucket=position)


def _arm_at(weights: dict[str, float], point: float) -> str:
    cumulative = 0.0
    last_positive = ""
    for arm_id, weight in weights.items():
        if weight <= 0.0:
            continue
        cumulative += weight
        last_positive = arm_id
        if point < cumulative:
            return arm_id
    # Weights may sum to a hair under 1; the remainder belongs to the last arm that has any.
    return last_positive
