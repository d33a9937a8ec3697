"""Experiment definitions: what is tested at which journey step, on whom, and how it is judged.

Definitions are data (pydantic) kept with the journeys and snapshotted into a workflow's input,
so they must validate up front: a bad weight table should fail when the journey is defined,
not when the ten-thousandth customer is assigned.
"""

import math
from datetime import time, timedelta
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.channels import Channel
from scoring.segments import IntentSegment

# Identifiers end up in workflow search attributes, ledger rows and URLs: keep them plain.
IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$"
WEIGHT_SUM_TOLERANCE = 1e-6


class CopyVariant(StrEnum):
    RATIONAL = "rational"
    EMOTIONAL = "emotional"


class PickSource(StrEnum):
    """Where a message's recommended products come from (docs/recommendations.md)."""

    PERSONAL = "personal"  # the model's picks for this customer: the journey's own choice
    POPULAR = "popular"  # the popular list, as for a customer who switched personalisation off


class Allocation(StrEnum):
    FIXED = "fixed"
    BANDIT = "bandit"


class Outcome(StrEnum):
    CLICK = "click"
    CONVERSION = "conversion"


class SendWindow(BaseModel):
    """Local-time window in which the arm's message may go out; may wrap past midnight."""

    model_config = ConfigDict(frozen=True)

    start: time
    end: time

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.start == self.end:
            raise ValueError(f"send window is empty: start and end are both {self.start}")
        return self


class Arm(BaseModel):
    """One variant: what it sets on the message. Unset fields keep the journey's own choice,
    so an arm that sets nothing is the control."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=IDENTIFIER_PATTERN, max_length=64)
    copy_variant: CopyVariant | None = None
    offer_id: str | None = None  # the offer level tested: another offer of the catalogue
    channel: Channel | None = None
    send_window: SendWindow | None = None
    # Popular picks against personal ones measure what personalisation adds, online.
    picks: PickSource | None = None


class Metric(BaseModel):
    """The binary reward: the outcome observed within `window` of the send."""

    model_config = ConfigDict(frozen=True)

    outcome: Outcome
    window: timedelta

    @model_validator(mode="after")
    def _positive_window(self) -> Self:
        if self.window <= timedelta(0):
            raise ValueError(f"metric window must be positive, got {self.window}")
        return self

    def is_reward(self, outcome: Outcome, elapsed: timedelta) -> bool:
        """Whether `outcome`, observed `elapsed` after the send, counts as a success."""
        return outcome == self.outcome and timedelta(0) <= elapsed <= self.window


class Experiment(BaseModel):
    """An A/B/N test or bandit at one step of one journey."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=IDENTIFIER_PATTERN, max_length=64)
    journey: str = Field(min_length=1)
    step: str = Field(min_length=1)
    arms: tuple[Arm, ...] = Field(min_length=1)
    allocation: Allocation = Allocation.FIXED
    # Fixed allocation only: arm id -> share of the treated customers; None means an equal split.
    weights: dict[str, float] | None = None
    # The intent segment (cold / warm / hot) the experiment applies to; None: every segment.
    segment: IntentSegment | None = None
    metric: Metric
    # Share of customers who walk the journey but are sent nothing, to measure the true lift.
    holdout_share: float = 0.0
    # Bandit only: each arm keeps at least exploration_floor / k of the traffic.
    exploration_floor: float = Field(0.1, ge=0.0, le=1.0)
    # A winner is promoted once its probability of being best reaches this...
    promotion_threshold: float = Field(0.95, gt=0.5, lt=1.0)
    # ...and every arm has at least this many observed outcomes, so early luck cannot win.
    promotion_min_trials: int = Field(100, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        ids = [arm.id for arm in self.arms]
        duplicates = sorted({arm_id for arm_id in ids if ids.count(arm_id) > 1})
        if duplicates:
            raise ValueError(f"arm ids must be unique, repeated: {', '.join(duplicates)}")
        if not 0.0 <= self.holdout_share < 0.5:
            raise ValueError(f"holdout_share must be in [0, 0.5), got {self.holdout_share}")
        if self.allocation is Allocation.BANDIT:
            if len(self.arms) < 2:
                raise ValueError("a bandit needs at least two arms")
            if self.weights is not None:
                raise ValueError("weights apply to fixed allocation only; a bandit learns its own")
        if self.weights is not None:
            _check_weights(self.weights, ids)
        return self

    def arm(self, arm_id: str) -> Arm:
        """The arm with this id; KeyError if the experiment has none."""
        for arm in self.arms:
            if arm.id == arm_id:
                return arm
        raise KeyError(f"experiment {self.id} has no arm {arm_id!r}")

    def arm_weights(self) -> dict[str, float]:
        """Share of treated customers per arm, in arm order (equal split when unset)."""
        if self.weights is None:
            return {arm.id: 1.0 / len(self.arms) for arm in self.arms}
        return {arm.id: self.weights[arm.id] for arm in self.arms}

    def applies_to(self, segment: IntentSegment) -> bool:
        """Whether a customer in intent segment `segment` enters this experiment."""
        return self.segment is None or self.segment == segment


def _check_weights(weights: dict[str, float], arm_ids: list[str]) -> None:
    missing = sorted(set(arm_ids) - set(weights))
    unknown = sorted(set(weights) - set(arm_ids))
    if missing or unknown:
        raise ValueError(
            f"weights must name every arm exactly once (missing: {missing or 'none'}, "
            f"unknown: {unknown or 'none'})"
        )
    negative = sorted(arm_id for arm_id, weight in weights.items() if weight < 0)
    if negative:
        raise ValueError(f"weights must not be negative: {', '.join(negative)}")
    total = math.fsum(weights.values())
    if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
        raise ValueError(f"weights must sum to 1, got {total:g}")
