"""Two-model (T-learner) uplift estimator: one logistic regression on treated customers, one on
controls; uplift = P(conversion | treated) - P(conversion | control).

Logistic regression rather than boosted trees: conversions are under 1 % of Hillstrom's rows, and
over 20 random 70/30 splits (seeds 0-19) the logistic T-learner's Qini was above random on 19
(mean +0.082), an XGBoost T-learner's on 16 (mean +0.040). It also ships as a few numbers in JSON.
`journeyctl offers evaluate` prints both for comparison.
"""

import json
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field
from sklearn.linear_model import LogisticRegression
from xgboost import XGBClassifier

from offers.hillstrom import FEATURES

SHIPPED_UPLIFT_MODEL = Path(__file__).resolve().parent / "uplift_model.json"


class LogisticArm(BaseModel):
    model_config = ConfigDict(frozen=True)

    intercept: float
    coefficients: tuple[float, ...]

    def probability(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        return 1.0 / (1.0 + np.exp(-(features @ np.asarray(self.coefficients) + self.intercept)))


class UpliftModel(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: str
    outcome: str
    features: tuple[str, ...]
    treated: LogisticArm
    control: LogisticArm
    trained_rows: int
    data_source: str

    def predict(
        self, features: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(P(outcome | control), uplift) per row of the encoded feature matrix."""
        baseline = self.control.probability(features)
        return baseline, self.treated.probability(features) - baseline


class UpliftFeatures(BaseModel):
    """One customer in the training data's terms. The mapping from our customers is approximate:
    recency in months since the last order, past-year spend, whether they bought menswear /
    womenswear, whether they are new in the past year, area type and purchase channel."""

    model_config = ConfigDict(frozen=True)

    recency_months: int = Field(ge=1, le=12)
    history_spend: float = Field(ge=0)
    bought_mens: bool
    bought_womens: bool
    newbie: bool
    area: Literal["urban", "suburban", "rural"]
    channel: Literal["web", "phone", "multichannel"]

    def encoded(self) -> NDArray[np.float64]:
        row = {
            "recency": self.recency_months,
            "log_history": np.log1p(self.history_spend),
            "mens": self.bought_mens,
            "womens": self.bought_womens,
            "newbie": self.newbie,
            "zip_urban": self.area == "urban",
            "zip_rural": self.area == "rural",
            "channel_web": self.channel == "web",
            "channel_phone": self.channel == "phone",
        }
        return np.array([[float(row[name]) for name in FEATURES]])


def predict_one(model: UpliftModel, customer: UpliftFeatures) -> tuple[float, float]:
    """(baseline probability, uplift) for one customer."""
    baseline, uplift = model.predict(customer.encoded())
    return float(baseline[0]), float(uplift[0])


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


def save_uplift_model(model: UpliftModel, path: Path) -> None:
    path.write_text(model.model_dump_json(indent=2) + "\n", encoding="utf-8")


def load_uplift_model(path: Path | None = None) -> UpliftModel:
    """Load a model file; None loads the one shipped in this package."""
    model = UpliftModel.model_validate(
        json.loads((path or SHIPPED_UPLIFT_MODEL).read_text("utf-8"))
    )
    if model.features != FEATURES:
        raise ValueError(f"uplift model features {model.features} do not match {FEATURES}")
    return model


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
