"""The session table the intent model reads, and its vectorised check and encoding.

Columns follow the UCI Online Shoppers Purchasing Intention Dataset (one row per session):
page counts and seconds spent on administrative, informational and product pages, the Google
Analytics bounce rate, exit rate and page value averaged over the session's pages, closeness to a
special day, month, visitor type and weekend. `Revenue` is the label. The source's
`OperatingSystems`, `Browser`, `Region` and `TrafficType` are anonymised integer codes that no
event of ours can reproduce; leaving them out cost 0.001 cross-validated AUC, so the model does
not use them and a file may carry them or not.

The features and their encodings are in scoring/features.py. Empty numeric cells are passed to
XGBoost as missing, as the source has a few; the source writes -1 for an unknown duration, read as
missing too.
"""

import numpy as np
import pandas as pd

from scoring.features import CATEGORICAL_CODES, FEATURES, NUMERIC_RANGES
from scoring.model import IntentModel

LABEL = "Revenue"
IGNORED_COLUMNS = ("OperatingSystems", "Browser", "Region", "TrafficType")

DURATION_COLUMNS = ("Administrative_Duration", "Informational_Duration", "ProductRelated_Duration")
UNKNOWN_DURATION = -1.0

_EXAMPLES_SHOWN = 3


class SessionDataError(ValueError):
    """A session table the model cannot score: the message names the columns and rows."""


def encode_sessions(frame: pd.DataFrame) -> np.ndarray:
    """The model's float32 matrix (rows x FEATURES) for `frame`; other columns are ignored.

    Raises SessionDataError naming every missing column, or the first column with bad values
    and the 1-based data rows holding them.
    """
    missing = [name for name in FEATURES if name not in frame.columns]
    if missing:
        raise SessionDataError(f"missing column(s): {', '.join(missing)}")
    matrix = np.empty((len(frame), len(FEATURES)), dtype=np.float32)
    for position, name in enumerate(FEATURES):
        column = frame[name]
        if name in NUMERIC_RANGES:
            matrix[:, position] = _numeric(name, column)
        else:
            matrix[:, position] = _categorical(name, column, CATEGORICAL_CODES[name])
    return matrix


def predict_sessions(model: IntentModel, frame: pd.DataFrame) -> np.ndarray:
    """Purchase probabilities for a session table (raises SessionDataError on bad input)."""
    return model.predict_matrix(encode_sessions(frame))


def _numeric(name: str, column: pd.Series) -> np.ndarray:
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, copy=True)
    not_numbers = np.isnan(values) & column.notna().to_numpy()
    _raise_if_any(name, column, not_numbers, "not a number")
    if name in DURATION_COLUMNS:
        values[values == UNKNOWN_DURATION] = np.nan
    low, high = NUMERIC_RANGES[name]
    with np.errstate(invalid="ignore"):
        out_of_range = (values < low) | (values > high)
    _raise_if_any(name, column, out_of_range, f"outside [{low:g}, {high:g}]")
    return values


def _categorical(name: str, column: pd.Series, codes: dict[str, int]) -> np.ndarray:
    by_lower_text = {text.lower(): code for text, code in codes.items()}
    # Normalise each distinct value once: a column of 100,000 rows holds a dozen of them.
    positions, distinct = pd.factorize(column)
    # Missing cells get position -1, which picks the trailing NaN.
    table = [by_lower_text.get(str(value).strip().lower(), np.nan) for value in distinct]
    values = np.array([*table, np.nan], dtype=np.float64)[positions]
    _raise_if_any(name, column, np.isnan(values), f"expected one of {', '.join(codes)}")
    return values


def _raise_if_any(name: str, column: pd.Series, bad: np.ndarray, reason: str) -> None:
    if not bad.any():
        return
    rows = np.flatnonzero(bad)
    shown = rows[:_EXAMPLES_SHOWN]
    examples = ", ".join(f"row {row + 1}: {_plain(column.iloc[row])!r}" for row in shown)
    raise SessionDataError(f"column {name!r}: {len(rows)} bad value(s) ({reason}), e.g. {examples}")


def _plain(value: object) -> object:
    # numpy scalars print as np.float64(-3.0); a user wants to read -3.0.
    return value.item() if isinstance(value, np.generic) else value
