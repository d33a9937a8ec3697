"""Settings of outbound webhooks (WEBHOOKS__...)."""

from pydantic import BaseModel, Field


class WebhookSettings(BaseModel):
    poll_seconds: float = Field(10.0, gt=0, description="how often an idle endpoint looks again")
    retry_hours: float = Field(
        24.0, gt=0, description="how long an event is retried before it is dead-lettered"
    )
    max_backoff_seconds: float = Field(1800.0, gt=0, description="the longest wait between tries")
    batch: int = Field(100, ge=1, description="events per delivery pass")
    timeout_seconds: float = Field(10.0, gt=0, description="per HTTP attempt")
    overlap_minutes: float = Field(
        15.0,
        ge=0,
        description="how far before the last collection the next looks again, for rows "
        "committed after their own timestamp",
    )
    allow_http_loopback: bool = Field(
        True, description="accept http:// on 127.0.0.1/localhost (never in production)"
    )
