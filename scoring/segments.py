"""Intent score (0-100) from a probability, and the cold / warm / hot segment of a score."""

from enum import StrEnum
from typing import TYPE_CHECKING

# numpy is imported by the functions that use it: the journeys import this module for
# IntentSegment, and a worker starts without numpy (bench/cold_start.py).
if TYPE_CHECKING:
    import numpy as np


class IntentSegment(StrEnum):
    COLD = "cold"
    WARM = "warm"
    HOT = "hot"


def score_from_probability(probability: float) -> float:
    """The 0-100 score, to one decimal: the segment is read from this rounded figure, so the
    score a marketer sees and the segment it falls in always agree."""
    import numpy as np

    return float(_scores(np.array(probability, dtype=np.float64)))


def _scores(probabilities: "np.ndarray") -> "np.ndarray":
    import numpy as np

    # One rounding rule for single and batch scores, so both paths give identical figures.
    return np.round(np.clip(probabilities, 0.0, 1.0) * 100.0, 1)


def segment_for_score(
    score: float, cold_below: float = 35.0, hot_above: float = 70.0
) -> IntentSegment:
    """cold < `cold_below` <= warm <= `hot_above` < hot."""
    if score < cold_below:
        return IntentSegment.COLD
    if score > hot_above:
        return IntentSegment.HOT
    return IntentSegment.WARM


def scores_and_segments(
    probabilities: "np.ndarray", cold_below: float = 35.0, hot_above: float = 70.0
) -> tuple["np.ndarray", "np.ndarray"]:
    """Vectorised `score_from_probability` and `segment_for_score` for batch scoring."""
    import numpy as np

    scores = _scores(np.asarray(probabilities, dtype=np.float64))
    segments = np.where(
        scores < cold_below,
        IntentSegment.COLD.value,
        np.where(scores > hot_above, IntentSegment.HOT.value, IntentSegment.WARM.value),
    )
    return scores, segments
