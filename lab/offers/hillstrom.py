"""Kevin Hillstrom's MineThatData e-mail experiment (2008), the data behind the uplift model.

64,000 customers who bought within the last 12 months were randomly sent a men's e-mail, a
women's e-mail or nothing; visit, conversion and spend were recorded for two weeks. Treatment here
is "any e-mail" against "no e-mail", so the estimated uplift is the lift of one marketing contact.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from offers.uplift_model import FEATURES

_REQUIRED = (
    "recency",
    "history",
    "mens",
    "womens",
    "newbie",
    "zip_code",
    "channel",
    "segment",
    "visit",
    "conversion",
    "spend",
)
_SEGMENTS = {"Mens E-Mail", "Womens E-Mail", "No E-Mail"}


def default_hillstrom_path() -> Path:
    """../shared/data/hillstrom.csv relative to the repository root."""
    return Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "hillstrom.csv"


def load_hillstrom(path: Path) -> pd.DataFrame:
    """The raw columns plus `treatment` (1 = any e-mail) and the model's encoded features."""
    frame = pd.read_csv(path)
    missing = [column for column in _REQUIRED if column not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {', '.join(missing)}")
    unknown = set(frame["segment"].unique()) - _SEGMENTS
    if unknown:
        raise ValueError(f"{path}: unknown segment values {sorted(unknown)}")
    frame["treatment"] = (frame["segment"] != "No E-Mail").astype(int)
    frame["log_history"] = np.log1p(frame["history"])
    frame["zip_urban"] = (frame["zip_code"] == "Urban").astype(int)
    frame["zip_rural"] = (frame["zip_code"] == "Rural").astype(int)
    frame["channel_web"] = (frame["channel"] == "Web").astype(int)
    frame["channel_phone"] = (frame["channel"] == "Phone").astype(int)
    return frame


def feature_matrix(frame: pd.DataFrame) -> NDArray[np.float64]:
    return frame[list(FEATURES)].to_numpy(dtype=np.float64)


def train_test_split_stratified(
    frame: pd.DataFrame, test_share: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random split that keeps the treatment x conversion mix equal in both parts."""
    rng = np.random.default_rng(seed)
    test_index: list[int] = []
    for _, group in frame.groupby(["treatment", "conversion"]):
        take = round(len(group) * test_share)
        test_index.extend(rng.choice(group.index.to_numpy(), size=take, replace=False))
    test = frame.loc[sorted(test_index)]
    return frame.drop(index=test.index), test
