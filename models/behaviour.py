"""What a customer did, as the event store hands it to scoring, dormancy and offers."""

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class BehaviourEvent(BaseModel):
    """One thing the customer did, as the journey's activity hands it over."""

    model_config = ConfigDict(frozen=True)

    type: str
    occurred_at: AwareDatetime
    properties: dict[str, Any] = Field(default_factory=dict)


class OrderSummary(BaseModel):
    """One paid order: when, and how much (order currency)."""

    model_config = ConfigDict(frozen=True)

    paid_at: AwareDatetime
    amount: float = Field(ge=0.0)
