"""Settings of the customer profile (PROFILE__...)."""

from pydantic import BaseModel, Field


class ProfileSettings(BaseModel):
    update_poll_seconds: float = Field(0.5, gt=0, description="how often the updater looks")
    update_batch: int = Field(50, ge=1, description="customers per update transaction")
    retry_seconds: float = Field(1.0, gt=0, description="first backoff of a failed update")
    batch_every_minutes: int = Field(60, ge=1, description="the batch tags' recompute")
    dormancy_scan_hour_utc: int = Field(2, ge=0, le=23, description="the daily scan's hour")
    page_size: int = Field(200, ge=1, description="customers per batch page")
    starts_per_second: float = Field(
        20.0, gt=0, description="journeys a segment entry starts, at most, per second"
    )
