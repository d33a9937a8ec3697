"""Probability that a customer is still active: the MBG/NBD model (Batislam, Denizel and
Filiztekin, 2007), a variant of BG/NBD (Fader, Hardie and Lee, 2005).

A customer buys at a Poisson rate lambda ~ Gamma(r, alpha) while active and, right after the first
purchase and after each repeat purchase, drops out for good with probability p ~ Beta(a, b).
Plain BG/NBD lets customers drop out only after a repeat purchase, so it calls every one-time
buyer certainly alive; on CDNOW (61 % one-time buyers at the split) that made P(alive) rank who
returned worse than chance. The dropout after the first purchase fixes that.

The data per customer are
  frequency x  - number of distinct purchase days after the first one,
  recency t_x  - days from the first to the last purchase day,
  age T        - days from the first purchase day to "now".
Time is in days, so alpha is in days too. All functions are pure and vectorised over numpy arrays.
Fitting the parameters (lab/dormancy/fitting.py) needs scipy, the optional [ml] extra; using them
here does not.
"""

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

# numpy is imported by the functions that use it: the settings import this module for
# MbgNbdParams, and a worker starts without numpy (bench/cold_start.py).
if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray


class MbgNbdParams(BaseModel):
    model_config = ConfigDict(frozen=True)

    r: float = Field(gt=0, description="shape of the gamma prior of the purchase rate")
    alpha: float = Field(gt=0, description="scale of the purchase-rate prior, in days")
    a: float = Field(
        gt=0, description="first shape of the beta prior of the dropout chance after a purchase"
    )
    b: float = Field(
        gt=0, description="second shape of the beta prior of the dropout chance after a purchase"
    )


def as_arrays(*values: "ArrayLike") -> list["NDArray[np.float64]"]:
    import numpy as np

    return [np.asarray(v, dtype=np.float64) for v in values]


def probability_alive(
    params: MbgNbdParams, frequency: "ArrayLike", recency: "ArrayLike", age: "ArrayLike"
) -> "NDArray[np.float64]":
    """P(still active at age T | x, t_x)."""
    import numpy as np

    x, t_x, big_t = as_arrays(frequency, recency, age)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    odds_dead = (a / (b + x)) * np.exp((r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x)))
    return 1.0 / (1.0 + odds_dead)


def probability_purchase_within(
    params: MbgNbdParams,
    frequency: "ArrayLike",
    recency: "ArrayLike",
    age: "ArrayLike",
    horizon_days: float,
) -> "NDArray[np.float64]":
    """P(at least one purchase in the next horizon_days | x, t_x, T).

    Given alive, the posterior rate is Gamma(r + x, alpha + T); no dropout can happen before the
    next purchase, so P(no purchase | alive) = ((alpha + T) / (alpha + T + h)) ** (r + x).
    """
    import numpy as np

    x, _, big_t = as_arrays(frequency, recency, age)
    alive = probability_alive(params, frequency, recency, age)
    none_if_alive = np.exp(
        (params.r + x)
        * (np.log(params.alpha + big_t) - np.log(params.alpha + big_t + horizon_days))
    )
    return alive * (1.0 - none_if_alive)
