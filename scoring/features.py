"""The intent model's features and their encodings: what the worker needs to build a session's
feature row, with no data-frame library (lab/scoring/session_schema.py reads whole tables of them).

Encodings: `Month` to its number (Jan=1 ... Dec=12; the source spells June in full),
`VisitorType` New_Visitor=0, Other=1, Returning_Visitor=2, `Weekend` False=0, True=1.
"""

from math import inf

# Allowed range of each numeric feature, in model order.
NUMERIC_RANGES: dict[str, tuple[float, float]] = {
    "Administrative": (0.0, inf),
    "Administrative_Duration": (0.0, inf),
    "Informational": (0.0, inf),
    "Informational_Duration": (0.0, inf),
    "ProductRelated": (0.0, inf),
    "ProductRelated_Duration": (0.0, inf),
    "BounceRates": (0.0, 1.0),
    "ExitRates": (0.0, 1.0),
    "PageValues": (0.0, inf),
    "SpecialDay": (0.0, 1.0),
}

MONTH_CODES: dict[str, int] = {
    "Jan": 1,
    "Feb": 2,
    "Mar": 3,
    "Apr": 4,
    "May": 5,
    "Jun": 6,
    "June": 6,
    "Jul": 7,
    "Aug": 8,
    "Sep": 9,
    "Oct": 10,
    "Nov": 11,
    "Dec": 12,
}
VISITOR_TYPE_CODES: dict[str, int] = {"New_Visitor": 0, "Other": 1, "Returning_Visitor": 2}
WEEKEND_CODES: dict[str, int] = {"False": 0, "True": 1, "0": 0, "1": 1}
CATEGORICAL_CODES: dict[str, dict[str, int]] = {
    "Month": MONTH_CODES,
    "VisitorType": VISITOR_TYPE_CODES,
    "Weekend": WEEKEND_CODES,
}

FEATURES: tuple[str, ...] = (*NUMERIC_RANGES, *CATEGORICAL_CODES)
