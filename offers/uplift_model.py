"""Two-model (T-learner) uplift estimator: one logistic regression on treated customers, one on
controls; uplift = P(conversion | treated) - P(conversion | control).

Logistic regression rather than boosted trees: conversions are under 1 % of Hillstrom's rows, and
over 20 random 70/30 splits (seeds 0-19) the logistic T-learner's Qini was above random on 19
(mean +0.082), an XGBoost T-learner's on 16 (mean +0.040). It also ships as a few numbers in JSON.
`journeyctl offers evaluate` prints both for comparison. Predicting is numpy alone; fitting
(lab/offers/uplift_training.py) needs scikit-learn and xgboost, the optional [ml] extra.
"""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

# numpy is imported by the methods that predict: the worker loads the model as it starts, and
# starts without numpy (bench/cold_start.py).
if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

# The model's inputs, in order: Hillstrom's fields as lab/offers/hillstrom.py encodes them.
FEATURES = (
    "recency",
    "log_history",
    "mens",
    "womens",
    "newbie",
    "zip_urban",
    "zip_rural",
    "channel_web",
    "channel_phone",
)

SHIPPED_UPLIFT_MODEL = Path(__file__).resolve().parent / "uplift_model.json"


class LogisticArm(BaseModel):
    model_config = ConfigDict(frozen=True)

    intercept: float
    coefficients: tuple[float, ...]

    def probability(self, features: "NDArray[np.float64]") -> "NDArray[np.float64]":
        import numpy as np

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
        self, features: "NDArray[np.float64]"
    ) -> tuple["NDArray[np.float64]", "NDArray[np.float64]"]:
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

    def encoded(self) -> "NDArray[np.float64]":
        import numpy as np

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
