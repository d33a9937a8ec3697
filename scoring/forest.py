"""XGBoost's trees in flat numpy arrays, evaluated as XGBoost does: a numeric split sends a value
below its condition left (compared in float32), a missing value the way `default_left` says; the
margin is logit(base_score) plus the leaves reached, and `binary:logistic` gives its sigmoid.

A module of its own so that numpy is imported at the first prediction (scoring/model.py), not
when a worker starts."""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike


@dataclass(frozen=True)
class Forest:
    """Every tree's nodes in flat arrays (node ids global across trees); `roots` per tree."""

    roots: np.ndarray
    left: np.ndarray
    right: np.ndarray
    feature: np.ndarray
    condition: np.ndarray  # float32 split conditions; the leaf's value at a leaf
    default_left: np.ndarray
    depth: int
    base_margin: float

    @classmethod
    def from_xgboost(cls, model: Mapping[str, Any]) -> "Forest":
        """From XGBoost's JSON model, one scoring.model.check_supported accepted."""
        learner = model["learner"]
        trees = learner["gradient_booster"]["model"]["trees"]
        offsets = np.cumsum([0, *(len(t["left_children"]) for t in trees)])
        starts = offsets[:-1]
        left = np.concatenate(
            [_global(t["left_children"], o) for t, o in zip(trees, starts, strict=True)]
        )
        right = np.concatenate(
            [_global(t["right_children"], o) for t, o in zip(trees, starts, strict=True)]
        )
        is_leaf = left < 0
        nodes = np.arange(len(left))
        base_score = float(str(learner["learner_model_param"]["base_score"]).strip("[]"))
        return cls(
            roots=starts.astype(np.int64),
            # A leaf points at itself: evaluation stops moving there.
            left=np.where(is_leaf, nodes, left),
            right=np.where(is_leaf, nodes, right),
            feature=np.concatenate([t["split_indices"] for t in trees]).astype(np.int64),
            condition=np.concatenate([t["split_conditions"] for t in trees]).astype(np.float32),
            default_left=np.concatenate([t["default_left"] for t in trees]).astype(bool),
            depth=max(_depth(t["left_children"], t["right_children"]) for t in trees),
            base_margin=math.log(base_score / (1.0 - base_score)),
        )

    def probabilities(self, matrix: ArrayLike) -> np.ndarray:
        """P(label) per row of the encoded matrix (rows x features; NaN is missing)."""
        x = np.asarray(matrix, dtype=np.float32)
        rows = np.arange(len(x))[:, None]
        nodes = np.broadcast_to(self.roots, (len(x), len(self.roots)))
        for _ in range(self.depth):
            values = x[rows, self.feature[nodes]]
            with np.errstate(invalid="ignore"):
                below = values < self.condition[nodes]
            go_left = np.where(np.isnan(values), self.default_left[nodes], below)
            nodes = np.where(go_left, self.left[nodes], self.right[nodes])
        margin = self.condition[nodes].sum(axis=1, dtype=np.float32) + np.float32(self.base_margin)
        return 1.0 / (1.0 + np.exp(-margin.astype(np.float64)))


def _global(children: list[int], offset: int) -> np.ndarray:
    local = np.asarray(children, dtype=np.int64)
    return np.where(local < 0, -1, local + offset)


def _depth(left: list[int], right: list[int]) -> int:
    deepest, frontier = 0, [(0, 0)]
    while frontier:
        node, depth = frontier.pop()
        if left[node] < 0:
            deepest = max(deepest, depth)
        else:
            frontier += [(left[node], depth + 1), (right[node], depth + 1)]
    return deepest
