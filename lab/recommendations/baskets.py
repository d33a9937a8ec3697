"""The Complete Journey baskets as a frame: one row per product in a basket, returns dropped."""

from pathlib import Path

import pandas as pd

from recommendations.history import COLUMNS, HistoryError

DEFAULT_DATA = Path("../shared/data/completejourney_baskets.csv")


def load_baskets(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype={"customer_id": str, "product_id": str})
    except (OSError, ValueError) as err:
        raise HistoryError(f"cannot read {path}: {err}") from err
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise HistoryError(f"{path}: missing column(s) {', '.join(missing)}")
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    for column in ("department", "category", "product_type"):
        frame[column] = frame[column].fillna("UNKNOWN")
    return frame[frame["quantity"] > 0].reset_index(drop=True)
