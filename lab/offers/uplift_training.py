"""Fitting the uplift model (offers/uplift_model.py), and the boosted-trees T-learner it is
compared with: scikit-learn and xgboost, the optional [ml] extra, for `journeyctl offers
evaluate` and the tests, never imported by the worker or the API."""

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from xgboost import XGBClassifier

from offers.uplift_model import FEATURES, LogisticArm, UpliftModel


def _fit_arm(features: NDArray[np.float64], outcome: NDArray[np.int_]) -> LogisticArm:
    # Newton steps converge exactly here in a few iterations, where lbfgs stopped short.
    fitted = LogisticRegression(C=1.0, solver="newton-cholesky").fit(features, outcome)
    return LogisticArm(
        intercept=float(fitted.intercept_[0]),
        coefficients=tuple(float(c) for c in fitted.coef_[0]),
    )


def fit_t_learner(
    features: NDArray[np.float64],
    treatment: NDArray[np.int_],
    outcome: NDArray[np.int_],
    *,
    outcome_name: str,
    version: str,
    data_source: str,
) -> UpliftModel:
    treated = treatment == 1
    return UpliftModel(
        version=version,
        outcome=outcome_name,
        features=FEATURES,
        treated=_fit_arm(features[treated], outcome[treated]),
        control=_fit_arm(features[~treated], outcome[~treated]),
        trained_rows=len(outcome),
        data_source=data_source,
    )


def logistic_t_learner_uplift(
    train_features: NDArray[np.float64],
    treatment: NDArray[np.int_],
    outcome: NDArray[np.int_],
    test_features: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Uplift of the shipped kind of model, in the same shape as the comparison below."""
    model = fit_t_learner(
        train_features, treatment, outcome, outcome_name="", version="", data_source=""
    )
    return model.predict(test_features)[1]


def xgboost_t_learner_uplift(
    train_features: NDArray[np.float64],
    treatment: NDArray[np.int_],
    outcome: NDArray[np.int_],
    test_features: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Uplift from a boosted-trees T-learner, only to compare with the shipped logistic one."""
    treated = treatment == 1
    arms = []
    for rows in (treated, ~treated):
        model = XGBClassifier(
            n_estimators=100, max_depth=3, learning_rate=0.05, min_child_weight=20, n_jobs=1
        )
        arms.append(model.fit(train_features[rows], outcome[rows]).predict_proba(test_features))
    return arms[0][:, 1] - arms[1][:, 1]
