"""Settings of the recommendations' monthly retraining (RECOMMENDATIONS__...); its click-through
alarm is configured with the alerts (ALERTS__RECOMMENDATION_...)."""

from pathlib import Path

from pydantic import BaseModel, Field


class RecommendationSettings(BaseModel):
    retrain_day_of_month: int = Field(
        1, ge=1, le=28, description="the day of the month the retraining Schedule runs on"
    )
    retrain_hour_utc: int = Field(3, ge=0, le=23, description="its hour (UTC)")
    retrain_data: Path = Field(
        Path("../shared/data/completejourney_baskets.csv"),
        description="the baskets file the lab trainer fits on (relative: to the repository)",
    )
    retrain_python: str = Field(
        "", description="the interpreter with the [ml] extra that runs the trainer; empty: ours"
    )
    retrain_timeout_minutes: int = Field(90, ge=1, description="the trainer's time limit")
