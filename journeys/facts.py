"""What a journey knows about its customer when it branches, waits for a date or sends.

Loaded by an activity (activities/facts.py) from the profile and the customer's own events, as of
the workflow's "now"; the workflow keeps the latest copy and refreshes it when it grows old.
"""

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from dormancy.labels import DormancyReason, DormancyTier
from models.channels import Channel
from scoring.segments import IntentSegment
from scoring.send_time import SendWindow


class CustomerFacts(BaseModel):
    known: bool = Field(True, description="a profile exists for the customer")
    timezone: str = "UTC"
    consent: dict[Channel, bool] = Field(default_factory=dict)
    attributes: dict[str, Any] = Field(default_factory=dict)

    intent_score: float | None = None
    segment: IntentSegment | None = None
    intent_source: str | None = Field(None, description="model, or rules (cold start)")
    send_window: SendWindow | None = Field(
        None, description="local hours the customer is usually active (None in older facts)"
    )

    dormancy_tier: DormancyTier | None = Field(None, description="None: no activity on record")
    dormancy_reason: DormancyReason | None = None
    days_inactive: int | None = None

    usual_store_weekday: int | None = Field(
        None, ge=0, le=6, description="0 = Monday, in the customer's time zone"
    )
    next_store_visit: date | None = Field(
        None, description="the next usual visit day, from the day after tomorrow on (local)"
    )
    rfm_top20: bool = Field(
        False, description="RFM monetary score 5: the top 20 % by spend over a year"
    )
    tags: dict[str, Any] = Field(
        default_factory=dict, description="the profile's tags (profiles/tags.py) -> value"
    )
    health_score: float | None = Field(None, description="0-100 (profiles/health.py)")


# The facts a definition may take a date from ("facts.<name>" in a wait_until step).
DATE_FACTS = frozenset({"next_store_visit"})
