"""Training of the intent model: hold-out split, stratified k-fold cross-validation, final fit.

The recipe: keep a stratified `holdout_fraction` of the sessions apart; cross-validate on the
rest (out-of-fold probabilities give AUC, the F1-optimal threshold, F1 there, the Brier score and
a reliability table by decile); fit the shipped booster on that same rest; report it once on the
hold-out. The metadata records everything needed to rebuild the split and check a model.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import brier_score_loss, f1_score, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from lab.scoring.session_schema import IGNORED_COLUMNS, LABEL, SessionDataError, encode_sessions
from scoring.features import CATEGORICAL_CODES, FEATURES
from scoring.model import metadata_path
from scoring.settings import TrainingSettings

_THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)


@dataclass(frozen=True)
class TrainedModel:
    """A booster fresh from training and its metadata, before they are written."""

    booster: xgb.Booster
    metadata: dict[str, Any]


@dataclass(frozen=True)
class TrainingData:
    features: np.ndarray
    labels: np.ndarray
    sha256: str


def load_training_data(path: Path) -> TrainingData:
    """The encoded sessions and `Revenue` labels of the CSV at `path`, with the file's hash."""
    frame = pd.read_csv(path)
    if LABEL not in frame.columns:
        raise SessionDataError(f"missing column(s): {LABEL}")
    labels = frame[LABEL].astype("string").str.lower().map({"true": 1, "false": 0})
    if labels.isna().any():
        raise SessionDataError(f"column {LABEL!r}: expected True or False")
    return TrainingData(
        features=encode_sessions(frame),
        labels=labels.to_numpy(dtype=np.int64),
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )


def holdout_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (train, holdout), stratified by label, the same for the same seed.

    Written out rather than taken from scikit-learn so the split of the shipped model can be
    rebuilt exactly whatever library versions a later checkout has.
    """
    rng = np.random.default_rng(seed)
    holdout = []
    for value in np.unique(labels):
        rows = np.flatnonzero(labels == value)
        holdout.append(rng.permutation(rows)[: round(len(rows) * fraction)])
    holdout_rows = np.sort(np.concatenate(holdout))
    train_rows = np.setdiff1d(np.arange(len(labels)), holdout_rows)
    return train_rows, holdout_rows


def booster_params(settings: TrainingSettings) -> dict[str, Any]:
    return {
        "objective": "binary:logistic",
        "eval_metric": "auc",
        "tree_method": "hist",
        "max_depth": settings.max_depth,
        "eta": settings.learning_rate,
        "min_child_weight": settings.min_child_weight,
        "subsample": settings.subsample,
        "colsample_bytree": settings.colsample_bytree,
        "seed": settings.seed,
    }


def fit(features: np.ndarray, labels: np.ndarray, settings: TrainingSettings) -> xgb.Booster:
    return xgb.train(booster_params(settings), xgb.DMatrix(features, label=labels), settings.rounds)


def cross_validate(
    features: np.ndarray,
    labels: np.ndarray,
    settings: TrainingSettings,
    on_fold: Callable[[], None] = lambda: None,
) -> tuple[np.ndarray, list[float]]:
    """Out-of-fold probabilities of stratified k-fold cross-validation, and each fold's AUC;
    `on_fold` is called as each fold is done (progress)."""
    out_of_fold = np.zeros(len(labels))
    fold_aucs = []
    folds = StratifiedKFold(settings.cv_folds, shuffle=True, random_state=settings.seed)
    for train_rows, test_rows in folds.split(features, labels):
        booster = fit(features[train_rows], labels[train_rows], settings)
        out_of_fold[test_rows] = booster.inplace_predict(features[test_rows])
        fold_aucs.append(float(roc_auc_score(labels[test_rows], out_of_fold[test_rows])))
        on_fold()
    return out_of_fold, fold_aucs


def best_f1_threshold(labels: np.ndarray, probabilities: np.ndarray) -> float:
    """The threshold on a 0.01 grid with the highest F1 (ties: the lowest such threshold)."""
    scores = [f1_score(labels, probabilities >= t, zero_division=0) for t in _THRESHOLD_GRID]
    return float(_THRESHOLD_GRID[int(np.argmax(scores))])


def classification_metrics(
    labels: np.ndarray, probabilities: np.ndarray, threshold: float
) -> dict[str, float]:
    predicted = probabilities >= threshold
    base_rate = float(labels.mean())
    return {
        "auc": float(roc_auc_score(labels, probabilities)),
        "threshold": threshold,
        "f1": float(f1_score(labels, predicted, zero_division=0)),
        "precision": float(precision_score(labels, predicted, zero_division=0)),
        "recall": float(recall_score(labels, predicted, zero_division=0)),
        "brier": float(brier_score_loss(labels, probabilities)),
        # What always predicting the base rate would score: the Brier score to beat.
        "brier_base_rate": base_rate * (1.0 - base_rate),
    }


def reliability_table(
    labels: np.ndarray, probabilities: np.ndarray, bins: int = 10
) -> list[dict[str, float]]:
    """Predicted against observed purchase rate in `bins` equal-sized groups by probability."""
    order = np.argsort(probabilities, kind="stable")
    table = []
    for number, rows in enumerate(np.array_split(order, bins), start=1):
        table.append(
            {
                "bin": number,
                "sessions": int(len(rows)),
                "min_predicted": float(probabilities[rows].min()),
                "max_predicted": float(probabilities[rows].max()),
                "mean_predicted": float(probabilities[rows].mean()),
                "observed_rate": float(labels[rows].mean()),
            }
        )
    return table


def train_intent_model(
    data_path: Path,
    data_label: str,
    version: str,
    settings: TrainingSettings,
    on_fold: Callable[[], None] = lambda: None,
) -> TrainedModel:
    """Cross-validate, fit and evaluate; `data_label` is how the metadata names the data file
    (the relative path as configured, so metadata does not leak one machine's layout)."""
    data = load_training_data(data_path)
    train_rows, holdout_rows = holdout_split(
        data.labels, settings.holdout_fraction, settings.split_seed
    )
    x_train, y_train = data.features[train_rows], data.labels[train_rows]
    out_of_fold, fold_aucs = cross_validate(x_train, y_train, settings, on_fold)
    threshold = best_f1_threshold(y_train, out_of_fold)
    booster = fit(x_train, y_train, settings)
    holdout_probabilities = booster.inplace_predict(data.features[holdout_rows])
    metadata = {
        "version": version,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "xgboost_version": xgb.__version__,
        "target": f"{LABEL}: the session ended in a purchase",
        "features": list(FEATURES),
        "categorical_encodings": CATEGORICAL_CODES,
        "ignored_columns": list(IGNORED_COLUMNS),
        "training_data": {
            "file": data_label,
            "sha256": data.sha256,
            "rows": int(len(data.labels)),
            "positive_rate": float(data.labels.mean()),
            "holdout_fraction": settings.holdout_fraction,
            "split_seed": settings.split_seed,
            "train_rows": int(len(train_rows)),
            "holdout_rows": int(len(holdout_rows)),
        },
        "params": booster_params(settings) | {"rounds": settings.rounds},
        "threshold": threshold,
        "metrics": {
            "cross_validation": {
                "folds": settings.cv_folds,
                "fold_auc": fold_aucs,
                "auc_std": float(np.std(fold_aucs)),
                **classification_metrics(y_train, out_of_fold, threshold),
                "reliability": reliability_table(y_train, out_of_fold),
            },
            "holdout": classification_metrics(
                data.labels[holdout_rows], holdout_probabilities, threshold
            ),
        },
    }
    return TrainedModel(booster=booster, metadata=metadata)


def write_artifact(model: TrainedModel, directory: Path) -> Path:
    """Write `<version>.json` (XGBoost's JSON model, which scoring.model evaluates) and
    `<version>.meta.json` under `directory`; returns the model path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{model.metadata['version']}.json"
    model.booster.save_model(str(path))
    metadata_path(path).write_text(json.dumps(model.metadata, indent=2) + "\n")
    return path
