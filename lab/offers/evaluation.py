"""Held-out evaluation of an uplift score against random targeting."""

from collections.abc import Callable

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from lab.offers.hillstrom import feature_matrix, train_test_split_stratified
from offers.uplift_metrics import (
    average_treatment_effect,
    bootstrap_qini,
    qini_coefficient,
    uplift_at_k,
)

TOP_SHARES = (0.1, 0.2, 0.3)

# (train features, train treatment, train outcome, test features) -> uplift scores of the test rows
UpliftScorer = Callable[
    [NDArray[np.float64], NDArray[np.int_], NDArray[np.int_], NDArray[np.float64]],
    NDArray[np.float64],
]


class UpliftEvaluation(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: int
    average_treatment_effect: float  # what random targeting gets at any k
    qini: float
    qini_interval: tuple[float, float]  # 5th and 95th bootstrap percentiles
    uplift_at: dict[float, float]


def evaluate_uplift(
    outcome: NDArray[np.int_],
    treatment: NDArray[np.int_],
    score: NDArray[np.float64],
    bootstrap_rounds: int,
    seed: int,
) -> UpliftEvaluation:
    resampled = bootstrap_qini(outcome, treatment, score, bootstrap_rounds, seed)
    low, high = np.percentile(resampled, [5, 95])
    return UpliftEvaluation(
        rows=len(outcome),
        average_treatment_effect=average_treatment_effect(outcome, treatment),
        qini=qini_coefficient(outcome, treatment, score),
        qini_interval=(float(low), float(high)),
        uplift_at={k: uplift_at_k(outcome, treatment, score, k) for k in TOP_SHARES},
    )


class RepeatedSplits(BaseModel):
    """One held-out split of rare conversions is noisy; many splits show how stable a result is."""

    model_config = ConfigDict(frozen=True)

    splits: int
    mean_qini: float
    qini_above_random: int  # splits with Qini > 0
    mean_uplift_ratio_at: dict[float, float]  # uplift at k / average treatment effect
    uplift_above_random_at: dict[float, int]  # splits where uplift at k > average effect


def repeated_splits(
    frame: pd.DataFrame,
    outcome: str,
    scorer: UpliftScorer,
    splits: int,
    test_share: float,
    first_seed: int,
) -> RepeatedSplits:
    qinis: list[float] = []
    ratios: dict[float, list[float]] = {k: [] for k in TOP_SHARES}
    for seed in range(first_seed, first_seed + splits):
        train, test = train_test_split_stratified(frame, test_share, seed)
        score = scorer(
            feature_matrix(train),
            train["treatment"].to_numpy(),
            train[outcome].to_numpy(),
            feature_matrix(test),
        )
        y, t = test[outcome].to_numpy(), test["treatment"].to_numpy()
        qinis.append(qini_coefficient(y, t, score))
        effect = average_treatment_effect(y, t)
        for k in TOP_SHARES:
            ratios[k].append(uplift_at_k(y, t, score, k) / effect)
    return RepeatedSplits(
        splits=splits,
        mean_qini=float(np.mean(qinis)),
        qini_above_random=sum(q > 0 for q in qinis),
        mean_uplift_ratio_at={k: float(np.mean(v)) for k, v in ratios.items()},
        uplift_above_random_at={k: sum(r > 1 for r in v) for k, v in ratios.items()},
    )
