"""Fit BG/NBD + Gamma-Gamma on CDNOW and evaluate it the standard way; write the parameters the
runtime ships (profiles/clv_model.json).

Lab code: run on demand, never imported by the worker or the API.

    .venv/bin/python -m lab.profile.clv_cdnow [--data ../shared/data/CDNOW_master.txt] [--write]

The standard evaluation (Fader, Hardie and Lee 2005): calibrate on the first 39 weeks
(1997-01-01 to 1997-09-30), predict each customer's repeat purchases in the next 39 weeks
(to 1998-06-30), compare with what they bought. Purchases on the same day are one transaction.
The baseline is the naive "same as last period": a customer makes as many repeat purchases in
the next 39 weeks as in the calibration period. Time is in weeks here; the shipped alpha is in
days (x 7), the unit the runtime counts in.

Why our own implementation: `lifetimes` (last release 2020) and its fork `btyd` (2022) are
unmaintained; `pymc-marketing` is maintained but brings PyMC and PyTensor (hundreds of MB and a
C toolchain) to fit seven numbers by maximum likelihood. The two likelihoods are a few lines of
`scipy.special`, fitted with `scipy.optimize` as dormancy/still_active.py already does, and the
runtime only needs their closed forms (profiles/clv.py), with no numerical library at all.
"""

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1

from lab.dormancy.cdnow import default_cdnow_path, load_cdnow
from profiles.clv import MODEL_PATH, BgNbdParams, ClvModel, GammaGammaParams, expected_purchases

CALIBRATION_END = pd.Timestamp("1997-09-30")
HOLDOUT_END = pd.Timestamp("1998-06-30")
WEEK = 7.0


def rfm_summary(transactions: pd.DataFrame) -> pd.DataFrame:
    """Per customer: x (repeat transactions), t_x and T in weeks at the calibration end, the mean
    value of the repeat transactions, and the repeat transactions in the holdout."""
    days = transactions.groupby(["customer_id", "date"], as_index=False)["dollars"].sum()
    calibration = days[days["date"] <= CALIBRATION_END]
    holdout = days[(days["date"] > CALIBRATION_END) & (days["date"] <= HOLDOUT_END)]
    by_customer = calibration.groupby("customer_id")
    first, last = by_customer["date"].min(), by_customer["date"].max()
    summary = pd.DataFrame(
        {
            "x": by_customer["date"].count() - 1,
            "t_x": (last - first).dt.days / WEEK,
            "T": (CALIBRATION_END - first).dt.days / WEEK,
        }
    )
    repeats = calibration.merge(first.rename("first"), left_on="customer_id", right_index=True)
    repeats = repeats[repeats["date"] > repeats["first"]]
    summary["mean_value"] = repeats.groupby("customer_id")["dollars"].mean()
    summary["holdout"] = holdout.groupby("customer_id")["date"].count()
    summary["holdout"] = summary["holdout"].fillna(0).astype(int)
    return summary


def bgnbd_log_likelihood(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray):
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + big_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.log(a) - np.log(b + x - 1) - (r + x) * np.log(alpha + t_x)
    a4 = np.where(x > 0, a4, -np.inf)
    return a1 + a2 + np.logaddexp(a3, a4)


def fit_bgnbd(x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> BgNbdParams:
    # Customers with the same (x, t_x, T) count once, weighted: a tenth of the rows.
    rows, weights = np.unique(np.column_stack([x, t_x, big_t]), axis=0, return_counts=True)

    def negative(log_params: np.ndarray) -> float:
        ll = bgnbd_log_likelihood(np.exp(log_params), *rows.T)
        return -float(np.dot(weights, ll))

    result = minimize(negative, np.log([1.0, 1.0, 1.0, 1.0]), method="Nelder-Mead",
                      options={"xatol": 1e-8, "fatol": 1e-8, "maxiter": 20000})  # fmt: skip
    r, alpha, a, b = np.exp(result.x)
    return BgNbdParams(r=r, alpha=alpha, a=a, b=b)


def fit_gamma_gamma(x: np.ndarray, mean_value: np.ndarray) -> GammaGammaParams:
    """On the customers with at least one repeat transaction and a positive mean value (the
    model's own assumptions; CDNOW has a few zero-dollar days)."""

    def negative(log_params: np.ndarray) -> float:
        p, q, v = np.exp(log_params)
        ll = (
            gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v)
            + (p * x - 1) * np.log(mean_value) + p * x * np.log(x)
            - (p * x + q) * np.log(x * mean_value + v)
        )  # fmt: skip
        return -float(np.sum(ll))

    # A gradient method: Nelder-Mead wandered off along the ridge p -> inf, v -> 0.
    result = minimize(negative, np.log([1.0, 1.0, 1.0]), method="L-BFGS-B")
    p, q, v = np.exp(result.x)
    return GammaGammaParams(p=p, q=q, v=v)


def expected_purchases_scipy(params: BgNbdParams, x, t_x, big_t, t: float) -> np.ndarray:
    """The textbook formula with scipy's 2F1: the check on the runtime's own series."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + big_t + t)
    head = (a + b + x - 1) / (a - 1)
    tail = 1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp2f1(
        r + x, b + x, a + b + x - 1, z
    )
    odds = np.where(
        x > 0, a / np.maximum(b + x - 1, 1e-12) * ((alpha + big_t) / (alpha + t_x)) ** (r + x), 0
    )
    return head * tail / (1 + odds)


def evaluate(data: Path) -> dict[str, Any]:
    summary = rfm_summary(load_cdnow(data))
    x, t_x, big_t = (summary[c].to_numpy(dtype=float) for c in ("x", "t_x", "T"))
    actual = summary["holdout"].to_numpy(dtype=float)
    params = fit_bgnbd(x, t_x, big_t)
    horizon = (HOLDOUT_END - CALIBRATION_END).days / WEEK
    predicted = np.array(
        [
            expected_purchases(params, int(xi), ti, Ti, horizon)
            for xi, ti, Ti in zip(x, t_x, big_t, strict=True)
        ]
    )
    scipy_predicted = expected_purchases_scipy(params, x, t_x, big_t, horizon)
    naive = x
    repeaters = summary[(summary["x"] > 0) & (summary["mean_value"] > 0)]
    spend = fit_gamma_gamma(
        repeaters["x"].to_numpy(dtype=float), repeaters["mean_value"].to_numpy(dtype=float)
    )
    return {
        "customers": len(summary),
        "horizon_weeks": round(horizon, 1),
        "bgnbd_weeks": params.model_dump(),
        "gamma_gamma": spend.model_dump(),
        "actual_total": float(actual.sum()),
        "model_total": round(float(predicted.sum()), 1),
        "naive_total": float(naive.sum()),
        "model_mae": round(float(np.abs(predicted - actual).mean()), 4),
        "naive_mae": round(float(np.abs(naive - actual).mean()), 4),
        "runtime_vs_scipy_max_abs_diff": float(np.abs(predicted - scipy_predicted).max()),
        "params": params,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_cdnow_path())
    parser.add_argument("--write", action="store_true", help=f"write {MODEL_PATH.name}")
    args = parser.parse_args()
    print(f"CDNOW from {args.data}: calibrate to {CALIBRATION_END.date()}, "
          f"predict to {HOLDOUT_END.date()}", flush=True)  # fmt: skip
    result = evaluate(args.data)
    params: BgNbdParams = result.pop("params")
    for name, value in result.items():
        print(f"  {name}: {value}")
    aggregate_error = abs(result["model_total"] - result["actual_total"]) / result["actual_total"]
    naive_error = abs(result["naive_total"] - result["actual_total"]) / result["actual_total"]
    print(f"  aggregate error: model {aggregate_error:.1%}, naive {naive_error:.1%}")
    beats = result["model_mae"] < result["naive_mae"] and aggregate_error < naive_error
    print(f"  the model beats the naive baseline: {'yes' if beats else 'NO'}")
    if args.write:
        model = ClvModel(
            name="bgnbd-gg-cdnow-v1",
            bgnbd=params.model_copy(update={"alpha": params.alpha * WEEK}),
            gamma_gamma=GammaGammaParams(**result["gamma_gamma"]),
            fitted_on="CDNOW master, first 39 weeks (1997-01-01..1997-09-30); alpha in days",
        )
        MODEL_PATH.write_text(json.dumps(model.model_dump(), indent=2) + "\n")
        print(f"  wrote {MODEL_PATH}")
    if not beats:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
