"""Lift of a treated group over its holdout: difference in conversion proportions with a
Newcombe hybrid score interval (Newcombe 1998, method 10, built from two Wilson intervals).

Newcombe rather than Wald because holdouts are small and conversion rates low: the Wald interval
undercovers there and can even stretch below -1 or collapse to a point at zero conversions.
"""

import math
from statistics import NormalDist

from pydantic import BaseModel, ConfigDict

INTERVAL_METHOD = "newcombe-hybrid-score"


class Lift(BaseModel):
    model_config = ConfigDict(frozen=True)

    difference: float  # treated rate - holdout rate
    low: float
    high: float
    relative: float | None  # difference / holdout rate; None when the holdout never converted
    treated_rate: float
    holdout_rate: float
    confidence: float
    method: str = INTERVAL_METHOD


def lift(
    treated_conversions: int,
    treated_n: int,
    holdout_conversions: int,
    holdout_n: int,
    confidence: float = 0.95,
) -> Lift:
    """Treated minus holdout conversion rate, with its two-sided `confidence` interval."""
    _check_counts("treated", treated_conversions, treated_n)
    _check_counts("holdout", holdout_conversions, holdout_n)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    p1 = treated_conversions / treated_n
    p2 = holdout_conversions / holdout_n
    low1, high1 = wilson_interval(treated_conversions, treated_n, z)
    low2, high2 = wilson_interval(holdout_conversions, holdout_n, z)
    difference = p1 - p2
    return Lift(
        difference=difference,
        low=difference - math.hypot(p1 - low1, high2 - p2),
        high=difference + math.hypot(high1 - p1, p2 - low2),
        relative=difference / p2 if p2 > 0.0 else None,
        treated_rate=p1,
        holdout_rate=p2,
        confidence=confidence,
    )


def wilson_interval(successes: int, n: int, z: float) -> tuple[float, float]:
    """Wilson score interval for a single proportion at normal quantile `z`."""
    p = successes / n
    denominator = 1.0 + z * z / n
    centre = (p + z * z / (2.0 * n)) / denominator
    half = z * math.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _check_counts(group: str, conversions: int, n: int) -> None:
    if n <= 0:
        raise ValueError(f"{group} group is empty (n={n}): no lift can be measured")
    if not 0 <= conversions <= n:
        raise ValueError(f"{group} conversions must be in [0, {n}], got {conversions}")
