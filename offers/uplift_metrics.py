"""How well an uplift score ranks customers, measured on randomised data.

Qini curve: customers sorted by score, best first; after the top n,
    Q(n) = conversions among treated - conversions among controls x (treated / controls),
the conversions the treatment added in that top group. Random targeting is the straight line from
0 to Q(all). The Qini coefficient here is the area between the two curves over fractions 0..1,
divided by Q(all): 0 is no better than random, negative is worse.
Uplift at k: treated minus control conversion rate among the top k % by score; random targeting
expects the overall difference (the average treatment effect) at every k.
"""

import numpy as np
from numpy.typing import NDArray


def _ordered(
    outcome: NDArray[np.int_], treatment: NDArray[np.int_], score: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    order = np.argsort(-score, kind="stable")
    return outcome[order].astype(float), treatment[order].astype(float)


def qini_coefficient(
    outcome: NDArray[np.int_], treatment: NDArray[np.int_], score: NDArray[np.float64]
) -> float:
    y, t = _ordered(outcome, treatment, score)
    treated_hits, control_hits = np.cumsum(y * t), np.cumsum(y * (1 - t))
    treated_n, control_n = np.cumsum(t), np.cumsum(1 - t)
    scale = np.divide(treated_n, control_n, out=np.zeros_like(treated_n), where=control_n > 0)
    curve = np.concatenate([[0.0], treated_hits - control_hits * scale])
    total = curve[-1]
    if total <= 0:
        raise ValueError("the treatment added no conversions in this sample; Qini is undefined")
    fractions = np.linspace(0.0, 1.0, len(curve))
    model_area = np.trapezoid(curve, fractions)
    random_area = total / 2
    return float((model_area - random_area) / total)


def uplift_at_k(
    outcome: NDArray[np.int_], treatment: NDArray[np.int_], score: NDArray[np.float64], k: float
) -> float:
    y, t = _ordered(outcome, treatment, score)
    top = max(1, round(len(y) * k))
    y, t = y[:top], t[:top]
    if t.sum() == 0 or (1 - t).sum() == 0:
        raise ValueError(f"top {k:.0%} holds no treated or no control customer")
    return float(y[t == 1].mean() - y[t == 0].mean())


def average_treatment_effect(outcome: NDArray[np.int_], treatment: NDArray[np.int_]) -> float:
    return float(outcome[treatment == 1].mean() - outcome[treatment == 0].mean())


def bootstrap_qini(
    outcome: NDArray[np.int_],
    treatment: NDArray[np.int_],
    score: NDArray[np.float64],
    rounds: int,
    seed: int,
) -> NDArray[np.float64]:
    """Qini coefficients of `rounds` resamples (with replacement) of the evaluation rows."""
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(rounds):
        rows = rng.integers(0, len(outcome), len(outcome))
        values.append(qini_coefficient(outcome[rows], treatment[rows], score[rows]))
    return np.array(values)
