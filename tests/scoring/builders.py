"""Behaviour events for the scoring tests, including a session rebuilt from a real data row."""

import calendar
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from models.behaviour import BehaviourEvent
from scoring.features import MONTH_CODES

PAGE_TYPES = (
    ("Administrative", "administrative"),
    ("Informational", "informational"),
    ("ProductRelated", "product"),
)


def event(kind: str, at: datetime, **properties: Any) -> BehaviourEvent:
    return BehaviourEvent(type=kind, occurred_at=at, properties=properties)


def views(
    start: datetime, count: int, every: timedelta = timedelta(minutes=1)
) -> list[BehaviourEvent]:
    return [event("product_viewed", start + i * every) for i in range(count)]


def session_day(month_name: str, weekend: bool) -> datetime:
    """Noon UTC on the first day of 2024 in that month whose weekend-ness matches."""
    month = MONTH_CODES[month_name]
    for day in range(1, calendar.monthrange(2024, month)[1] + 1):
        moment = datetime(2024, month, day, 12, tzinfo=UTC)
        if (moment.weekday() >= 5) == weekend:
            return moment
    raise ValueError(month_name)


def events_from_row(row: pd.Series) -> list[BehaviourEvent]:
    """The views of one data row, each carrying the row's catalog statistics; a returning
    visitor also gets one earlier session, a day before."""
    start = session_day(row["Month"], bool(row["Weekend"]))
    stats = {
        "page_value": float(row["PageValues"]),
        "bounce_rate": float(row["BounceRates"]),
        "exit_rate": float(row["ExitRates"]),
        "special_day": float(row["SpecialDay"]),
    }
    built = []
    if row["VisitorType"] == "Returning_Visitor":
        built.append(event("page_viewed", start - timedelta(days=1), page_type="product"))
    at = start
    for column, page_type in PAGE_TYPES:
        count = int(row[column])
        for _ in range(count):
            seconds = float(row[f"{column}_Duration"]) / count
            props = stats | {"page_type": page_type, "duration_seconds": seconds}
            built.append(event("page_viewed", at, **props))
            at += timedelta(seconds=10)
    return built
