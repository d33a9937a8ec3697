"""The trained intent model: XGBoost's trees, read from the booster's JSON model and evaluated
with numpy (scoring/forest.py), and the metadata written beside them.

The worker and the API score without the xgboost package: it imports scikit-learn, scipy and
pandas whenever they are installed, a second of a worker's start-up and a hundred MB for nothing
scoring uses. Training writes the booster in XGBoost's own JSON model format
(`Booster.save_model("<version>.json")`); tests/scoring/test_scoring_model.py holds every
prediction to xgboost's own on the hold-out sessions. Loading checks the files (a process with
a wrong model fails as it starts); the trees become numpy arrays at the first prediction, so a
worker starts without importing numpy (bench/cold_start.py).
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scoring.features import CATEGORICAL_CODES, FEATURES

if TYPE_CHECKING:
    import numpy as np

    from scoring.forest import Forest


def metadata_path(model_path: Path) -> Path:
    """Where the metadata of the model at `model_path` lives (`intent-v1.json` ->
    `intent-v1.meta.json`)."""
    return model_path.with_suffix(".meta.json")


def check_supported(model: Mapping[str, Any]) -> None:
    """ValueError unless XGBoost's JSON model is a binary:logistic gbtree with numeric splits
    only, the kind scoring/forest.py evaluates."""
    learner = model["learner"]
    objective = learner["objective"]["name"]
    booster = learner["gradient_booster"]
    if objective != "binary:logistic" or booster["name"] != "gbtree":
        raise ValueError(f"unsupported model: {objective} {booster['name']}")
    trees = booster["model"]["trees"]
    if any(any(t["split_type"]) for t in trees):
        raise ValueError("unsupported model: categorical splits")
    # The trees become arrays at the first prediction (numpy loads then, not at start): their
    # shape is checked here, so a damaged file still stops the worker at start.
    for number, tree in enumerate(trees):
        columns = [tree[key] for key in _TREE_COLUMNS]
        nodes = len(columns[0])
        if nodes == 0 or any(len(column) != nodes for column in columns):
            raise ValueError(f"damaged model: tree {number} has columns of unequal length")
        children = [c for c in tree["left_children"] + tree["right_children"] if c != -1]
        if any(not 0 < c < nodes for c in children):
            raise ValueError(f"damaged model: tree {number} points outside itself")
    float(str(learner["learner_model_param"]["base_score"]).strip("[]"))


_TREE_COLUMNS = (
    "left_children",
    "right_children",
    "split_indices",
    "split_conditions",
    "default_left",
)


@dataclass(frozen=True)
class IntentModel:
    """Load once (an activity keeps it in memory) and score many; predictions are pure."""

    booster: Mapping[str, Any]  # XGBoost's JSON model, checked by check_supported
    metadata: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> "IntentModel":
        """The model at `path` and its metadata; refuses an artifact built for other features."""
        metadata = json.loads(metadata_path(path).read_text())
        if tuple(metadata["features"]) != FEATURES:
            raise ValueError(
                f"{path} was trained on features {metadata['features']}, "
                f"this code builds {list(FEATURES)}"
            )
        if metadata["categorical_encodings"] != CATEGORICAL_CODES:
            raise ValueError(f"{path} was trained with other categorical encodings")
        booster = json.loads(path.read_text())
        check_supported(booster)
        return cls(booster=booster, metadata=metadata)

    @cached_property
    def forest(self) -> "Forest":
        from scoring.forest import Forest  # numpy with it: at the first prediction, not at start

        return Forest.from_xgboost(self.booster)

    @property
    def version(self) -> str:
        return str(self.metadata["version"])

    def predict_matrix(self, matrix: "np.ndarray") -> "np.ndarray":
        """Purchase probabilities for an encoded matrix (rows x FEATURES)."""
        return self.forest.probabilities(matrix)

    def predict_features(self, features: Mapping[str, float]) -> float:
        """Purchase probability of one session given as already-encoded feature values."""
        row = [[features[name] for name in FEATURES]]
        return float(self.forest.probabilities(row)[0])
