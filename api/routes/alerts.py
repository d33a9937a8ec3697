"""Alerts raised on the thresholds (docs/alerts.md), for the console and operators."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import SessionsDep
from storage.alerts import list_alerts

router = APIRouter(prefix="/v1/ops/alerts", tags=["operations"])


class AlertView(BaseModel):
    alert_id: str
    threshold: str
    scope: dict[str, Any]
    value: float
    limit: float
    raised_at: datetime
    cleared_at: datetime | None
    action: str | None


@router.get("", summary="Alerts, newest first: raised, and cleared once the rate recovered")
async def alerts(
    sessions: SessionsDep,
    open_only: bool = Query(False, description="only the alerts not cleared yet"),
    limit: int = Query(100, ge=1, le=1000),
) -> list[AlertView]:
    async with sessions() as session:
        found = await list_alerts(session, open_only=open_only, limit=limit)
    return [
        AlertView(**{k: v for k, v in alert.__dict__.items() if k in AlertView.model_fields})
        for alert in found
    ]
