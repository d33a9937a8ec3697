"""The trained intent model: an XGBoost booster and the metadata written beside it."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from scoring.session_schema import CATEGORICAL_CODES, FEATURES, encode_sessions


def metadata_path(model_path: Path) -> Path:
    """Where the metadata of the booster at `model_path` lives (`intent-v1.ubj` ->
    `intent-v1.meta.json`)."""
    return model_path.with_suffix(".meta.json")


@dataclass(frozen=True)
class IntentModel:
    """Load once (an activity keeps it in memory) and score many; predictions are thread-safe."""

    booster: xgb.Booster
    metadata: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> "IntentModel":
        """The booster at `path` and its metadata; refuses an artifact built for other features."""
        metadata = json.loads(metadata_path(path).read_text())
        if tuple(metadata["features"]) != FEATURES:
            raise ValueError(
                f"{path} was trained on features {metadata['features']}, "
                f"this code builds {list(FEATURES)}"
            )
        if metadata["categorical_encodings"] != CATEGORICAL_CODES:
            raise ValueError(f"{path} was trained with other categorical encodings")
        # One thread: activities score one customer at a time, concurrently. On the 2-core dev
        # box XGBoost's own thread pool took single-row p90 from 0.3 ms to 20 ms and made
        # 100,000-row batches slower too (0.11-0.15 s against 0.09 s).
        booster = xgb.Booster(params={"nthread": 1}, model_file=str(path))
        return cls(booster=booster, metadata=metadata)

    @property
    def version(self) -> str:
        return str(self.metadata["version"])

    def predict_matrix(self, matrix: np.ndarray) -> np.ndarray:
        """Purchase probabilities for an encoded matrix (rows x FEATURES)."""
        return np.asarray(self.booster.inplace_predict(matrix), dtype=np.float64)

    def predict_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """Purchase probabilities for a session table (raises SessionDataError on bad input)."""
        return self.predict_matrix(encode_sessions(frame))

    def predict_features(self, features: Mapping[str, float]) -> float:
        """Purchase probability of one session given as already-encoded feature values."""
        row = np.array([[features[name] for name in FEATURES]], dtype=np.float32)
        return float(self.booster.inplace_predict(row)[0])
