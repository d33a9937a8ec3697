"""Fitting the MBG/NBD still-active model (dormancy/still_active.py) by maximum likelihood.

scipy's optimiser and special functions: the optional [ml] extra, for `journeyctl dormancy
validate` and the tests, never imported by the worker or the API.
"""

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import betaln, gammaln

from dormancy.still_active import MbgNbdParams, as_arrays


def log_likelihood(
    params: MbgNbdParams, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> NDArray[np.float64]:
    """Per-customer log-likelihood of (x, t_x, T) under the model."""
    x, t_x, big_t = as_arrays(frequency, recency, age)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x + 1) - betaln(a, b)
    survived = -(r + x) * np.log(alpha + big_t)
    dropped = np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + t_x)
    return common + np.logaddexp(survived, dropped)


def fit_mbgnbd(frequency: ArrayLike, recency: ArrayLike, age: ArrayLike) -> MbgNbdParams:
    """Maximum-likelihood fit. Customers are grouped by identical (x, t_x, T) to keep it fast."""
    x, t_x, big_t = as_arrays(frequency, recency, age)
    if np.any(x < 0) or np.any(t_x < 0) or np.any(t_x > big_t):
        raise ValueError("need 0 <= recency <= age and frequency >= 0")
    rows, weights = np.unique(np.column_stack([x, t_x, big_t]), axis=0, return_counts=True)

    def negative_ll(log_params: NDArray[np.float64]) -> float:
        r, alpha, a, b = np.exp(log_params)
        ll = log_likelihood(MbgNbdParams(r=r, alpha=alpha, a=a, b=b), *rows.T)
        return -float(np.dot(weights, ll)) / weights.sum()

    start = np.log([1.0, max(float(big_t.mean()), 1.0), 1.0, 1.0])
    # The likelihood is flat along (a, b); a gradient method with a tight tolerance lands on the
    # same optimum from different starts where Nelder-Mead stopped early.
    result = minimize(
        negative_ll, start, method="L-BFGS-B", options={"ftol": 1e-12, "maxiter": 2000}
    )
    if not result.success:
        raise RuntimeError(f"MBG/NBD fit did not converge: {result.message}")
    r, alpha, a, b = np.exp(result.x)
    return MbgNbdParams(r=float(r), alpha=float(alpha), a=float(a), b=float(b))
