"""Customer lifetime value: BG/NBD (Fader, Hardie and Lee, 2005) for how many more orders, and
Gamma-Gamma (Fader, Hardie and Lee, 2005, "RFM and CLV") for what each is worth.

The runtime only evaluates the models' closed forms with shipped parameters (`clv_model.json`,
fitted and evaluated by the lab code in lab/profile/, never imported here): no fitting, no
numerical library beyond `math`. Inputs per customer, in days: x the repeat order days (distinct
order days after the first), t_x the days from the first to the last order day, T the days from
the first order day to now; and the mean value of the repeat orders.

    P(alive)  = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))
    E[Y(t)]   = (a + b + x - 1) / (a - 1)
                * (1 - ((alpha + T) / (alpha + T + t))^(r + x) 2F1(r + x, b + x; a + b + x - 1; z))
                / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x)),
                z = t / (alpha + T + t)
    E[value]  = p (v + x m) / (p x + q - 1)

The hypergeometric term is summed after Euler's transformation,
(1 - z)^(r + x) 2F1(r + x, b + x; c; z) = (1 - z)^(a - 1) 2F1(c - r - x, a - 1; c; z), whose
first two parameters no longer grow with x, so the series converges in a few hundred terms.
"""

import json
import math
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from models.profiles import Clv

MODEL_PATH = Path(__file__).with_name("clv_model.json")
HORIZON_DAYS = 365
_SERIES_TOLERANCE = 1e-12
_SERIES_MAX_TERMS = 100_000


class BgNbdParams(BaseModel):
    model_config = ConfigDict(frozen=True)

    r: float = Field(gt=0)
    alpha: float = Field(gt=0, description="in days")
    a: float = Field(gt=0)
    b: float = Field(gt=0)


class GammaGammaParams(BaseModel):
    model_config = ConfigDict(frozen=True)

    p: float = Field(gt=0)
    q: float = Field(gt=1)
    v: float = Field(gt=0)


class ClvModel(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    bgnbd: BgNbdParams
    gamma_gamma: GammaGammaParams
    fitted_on: str


@cache
def shipped_model(path: Path = MODEL_PATH) -> ClvModel:
    return ClvModel.model_validate(json.loads(path.read_text()))


def probability_alive(params: BgNbdParams, x: int, t_x: float, big_t: float) -> float:
    if x == 0:
        return 1.0
    return 1.0 / (1.0 + _dropout_odds(params, x, t_x, big_t))


def expected_purchases(params: BgNbdParams, x: int, t_x: float, big_t: float, t: float) -> float:
    """Expected orders in the next `t` days."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    c = a + b + x - 1
    z = t / (alpha + big_t + t)
    scaled = (1 - z) ** (a - 1) * _hyp2f1(c - r - x, a - 1, c, z)  # (1-z)^(r+x) 2F1(...)
    numerator = (a + b + x - 1) / (a - 1) * (1 - scaled)
    denominator = 1.0 + (_dropout_odds(params, x, t_x, big_t) if x > 0 else 0.0)
    return max(0.0, numerator / denominator)


def expected_order_value(params: GammaGammaParams, x: int, mean_value: float | None) -> float:
    """Gamma-Gamma: the customer's mean repeat order value shrunk towards the population's."""
    p, q, v = params.p, params.q, params.v
    m = mean_value if mean_value is not None and x > 0 else 0.0
    return p * (v + x * m) / (p * x + q - 1)


def customer_value(
    model: ClvModel, x: int, t_x: float, big_t: float, mean_repeat_value: float | None
) -> Clv:
    purchases = expected_purchases(model.bgnbd, x, t_x, big_t, HORIZON_DAYS)
    order_value = expected_order_value(model.gamma_gamma, x, mean_repeat_value)
    return Clv(
        probability_alive=round(probability_alive(model.bgnbd, x, t_x, big_t), 4),
        expected_purchases_365d=round(purchases, 3),
        expected_order_value=round(order_value, 2),
        value_365d=round(purchases * order_value, 2),
        model=model.name,
    )


def _dropout_odds(params: BgNbdParams, x: int, t_x: float, big_t: float) -> float:
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    return a / (b + x - 1) * math.exp((r + x) * (math.log(alpha + big_t) - math.log(alpha + t_x)))


def _hyp2f1(a: float, b: float, c: float, z: float) -> float:
    """Gauss's series, for 0 <= z < 1."""
    term, total = 1.0, 1.0
    for k in range(_SERIES_MAX_TERMS):
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
        if abs(term) < _SERIES_TOLERANCE * abs(total):
            return total
    raise ArithmeticError(f"2F1({a}, {b}; {c}; {z}) did not converge")
