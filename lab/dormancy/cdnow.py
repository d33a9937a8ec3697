"""Validation of the tiers and the still-active model on the CDNOW purchase log.

CDNOW (Fader and Hardie's sample) holds every purchase of 23,570 customers who first bought in
Q1 1997, up to June 1998. We cut the period in half: tiers and the model see only purchases up to
the split date; the second half tells who actually came back. CDNOW has purchases only, so "last
activity" here is the last purchase, and it has no behaviour signals, so reasons are not validated.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict
from sklearn.metrics import roc_auc_score

from dormancy.labels import DormancyTier
from dormancy.settings import DormancySettings
from dormancy.still_active import MbgNbdParams, probability_alive, probability_purchase_within
from dormancy.tiers import tier_for_days
from lab.dormancy.fitting import fit_mbgnbd

RETURN_WINDOWS_DAYS = (30, 60, 90)
_TIER_ORDER = (DormancyTier.ACTIVE, DormancyTier.LIGHT, DormancyTier.MEDIUM, DormancyTier.HEAVY)


class TierReturnRate(BaseModel):
    model_config = ConfigDict(frozen=True)

    tier: DormancyTier
    customers: int
    returned_share: float  # bought at least once in the second half
    returned_within_share: dict[int, float]  # days after the split -> share that bought by then


class CalibrationBin(BaseModel):
    model_config = ConfigDict(frozen=True)

    low: float
    high: float
    customers: int
    mean_probability_alive: float
    mean_predicted_return: float  # model's P(at least one purchase in the second half)
    actual_return: float


class CdnowValidation(BaseModel):
    model_config = ConfigDict(frozen=True)

    customers: int
    transactions: int
    start: str
    split: str
    end: str
    params: MbgNbdParams
    tiers: list[TierReturnRate]
    tiers_ordered: bool
    calibration_by_alive: list[CalibrationBin]
    calibration_by_return: list[CalibrationBin]
    auc_probability_alive: float
    auc_predicted_return: float
    auc_recency: float  # ranking by days since last purchase alone, the tiers' underlying signal
    brier_predicted_return: float
    mean_predicted_return: float
    actual_return: float


def default_cdnow_path() -> Path:
    """../shared/data/CDNOW_master.txt relative to the repository root."""
    return Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "CDNOW_master.txt"


def load_cdnow(path: Path) -> pd.DataFrame:
    """Whitespace-separated customer_id date(YYYYMMDD) cds dollars; a header line is skipped."""
    raw = pd.read_csv(
        path, sep=r"\s+", header=None, names=["customer_id", "date", "cds", "dollars"], dtype=str
    )
    raw = raw[raw["date"].str.fullmatch(r"\d{8}")]
    if raw.empty:
        raise ValueError(f"{path}: no rows of the form 'customer_id YYYYMMDD cds dollars'")
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "date": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "cds": raw["cds"].astype(int),
            "dollars": raw["dollars"].astype(float),
        }
    ).reset_index(drop=True)


def split_date(transactions: pd.DataFrame) -> pd.Timestamp:
    """Midpoint of the observed period, on a day boundary."""
    start, end = transactions["date"].min(), transactions["date"].max()
    return (start + (end - start) / 2).normalize()


def customers_at_split(transactions: pd.DataFrame, split: pd.Timestamp) -> pd.DataFrame:
    """One row per customer who bought by the split: the model's inputs (frequency, recency,
    age in days), days since last purchase at the split, and what happened afterwards."""
    before = transactions[transactions["date"] <= split]
    after = transactions[transactions["date"] > split]
    by_customer = before.groupby("customer_id")["date"]
    first, last = by_customer.min(), by_customer.max()
    customers = pd.DataFrame(
        {
            "frequency": by_customer.nunique() - 1,
            "recency": (last - first).dt.days,
            "age": (split - first).dt.days,
            "days_since_last": (split - last).dt.days,
        }
    )
    first_after = after.groupby("customer_id")["date"].min()
    customers["days_to_return"] = (first_after.reindex(customers.index) - split).dt.days
    customers["returned"] = customers["days_to_return"].notna()
    return customers


def tier_return_rates(customers: pd.DataFrame, settings: DormancySettings) -> list[TierReturnRate]:
    tiers = customers["days_since_last"].map(lambda days: tier_for_days(int(days), settings))
    rates = []
    for tier in _TIER_ORDER:
        group = customers[tiers == tier]
        if group.empty:
            continue
        rates.append(
            TierReturnRate(
                tier=tier,
                customers=len(group),
                returned_share=float(group["returned"].mean()),
                returned_within_share={
                    days: float((group["days_to_return"] <= days).mean())
                    for days in RETURN_WINDOWS_DAYS
                },
            )
        )
    return rates


def return_rates_ordered(rates: list[TierReturnRate]) -> bool:
    """True if each heavier tier returns strictly less often than the lighter one before it."""
    shares = [rate.returned_share for rate in rates]
    return all(lighter > heavier for lighter, heavier in zip(shares, shares[1:], strict=False))


def calibration_bins(
    bin_by: np.ndarray,
    alive: np.ndarray,
    predicted_return: np.ndarray,
    returned: np.ndarray,
    bins: int = 10,
) -> list[CalibrationBin]:
    """Equal-width bins over [0, 1] of `bin_by` (one of the two predictions)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(bin_by, edges[1:-1]), 0, bins - 1)
    result = []
    for i in range(bins):
        members = index == i
        if not members.any():
            continue
        result.append(
            CalibrationBin(
                low=float(edges[i]),
                high=float(edges[i + 1]),
                customers=int(members.sum()),
                mean_probability_alive=float(alive[members].mean()),
                mean_predicted_return=float(predicted_return[members].mean()),
                actual_return=float(returned[members].mean()),
            )
        )
    return result


def validate_cdnow(path: Path, settings: DormancySettings) -> CdnowValidation:
    """Fit the still-active model on the first half and score tiers and model on the second."""
    transactions = load_cdnow(path)
    split = split_date(transactions)
    end = transactions["date"].max()
    customers = customers_at_split(transactions, split)
    x, t_x, age = (customers[c].to_numpy() for c in ("frequency", "recency", "age"))
    returned = customers["returned"].to_numpy()

    params = fit_mbgnbd(x, t_x, age)
    alive = probability_alive(params, x, t_x, age)
    predicted_return = probability_purchase_within(params, x, t_x, age, (end - split).days)
    rates = tier_return_rates(customers, settings)
    return CdnowValidation(
        customers=len(customers),
        transactions=len(transactions),
        start=transactions["date"].min().date().isoformat(),
        split=split.date().isoformat(),
        end=end.date().isoformat(),
        params=params,
        tiers=rates,
        tiers_ordered=return_rates_ordered(rates),
        calibration_by_alive=calibration_bins(alive, alive, predicted_return, returned),
        calibration_by_return=calibration_bins(predicted_return, alive, predicted_return, returned),
        auc_probability_alive=float(roc_auc_score(returned, alive)),
        auc_predicted_return=float(roc_auc_score(returned, predicted_return)),
        auc_recency=float(roc_auc_score(returned, -customers["days_since_last"].to_numpy())),
        brier_predicted_return=float(np.mean((predicted_return - returned) ** 2)),
        mean_predicted_return=float(predicted_return.mean()),
        actual_return=float(returned.mean()),
    )
