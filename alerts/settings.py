"""Settings of the alerts (ALERTS__...): thresholds over a sliding window, who is told."""

from pydantic import BaseModel, Field


class AlertSettings(BaseModel):
    every_minutes: float = Field(5.0, gt=0, description="how often the thresholds are evaluated")
    window_minutes: float = Field(60.0, gt=0, description="the sliding window rates are over")
    min_volume: int = Field(
        50, ge=1, description="sends (or attempts) in the window before a rate is judged"
    )
    complaint_rate: float | None = Field(
        0.003, gt=0, description="complaints per send, per journey and channel"
    )
    unsubscribe_rate: float | None = Field(
        0.01, gt=0, description="unsubscribes per send, per journey and channel"
    )
    delivery_failure_rate: float | None = Field(
        0.05, gt=0, description="failed delivery attempts per attempt, per channel's provider"
    )
    llm_fallback_rate: float | None = Field(
        None,
        gt=0,
        description="copies written from the template after the LLM failed its checks, per "
        "copy the LLM was asked for (set it when an LLM is configured)",
    )
    recommendation_ctr_tolerance: float | None = Field(
        0.8,
        gt=0,
        le=1,
        description="alerts when the click-through of the recommended picks of the last "
        "RECOMMENDATION_RECENT_DAYS falls below this share of the baseline's (the "
        "RECOMMENDATION_BASELINE_DAYS before them)",
    )
    recommendation_recent_days: int = Field(
        30, ge=1, description="the days of picks whose click-through is judged"
    )
    recommendation_baseline_days: int = Field(
        90, ge=1, description="the days before them that make the click-through's baseline"
    )
    tag_sync_lag_seconds: float | None = Field(
        5.0, gt=0, description="how long a customer's core tags may wait in the profile queue"
    )
    operators: list[str] = Field(
        default_factory=list, description="email addresses told of every alert raised or cleared"
    )
    pause_on_complaints: bool = Field(
        False,
        description="a complaint-rate breach pauses its journey (kill switch) until a person "
        "reviews and resumes it",
    )
