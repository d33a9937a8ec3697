"""Operator views: journeys that need a person (docs/wedged-journeys.md)."""

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel
from temporalio.service import RPCError

from api.deps import TemporalDep
from api.temporal import temporal_unavailable
from ops.wedged import find_wedged

router = APIRouter(prefix="/v1/ops", tags=["operations"])


class WedgedJourney(BaseModel):
    workflow_id: str
    run_id: str
    workflow_type: str
    attempts: int
    failing_since: datetime | None
    cause: str
    error: str
    can_reset: bool


@router.get(
    "/wedged-journeys",
    summary="Running journeys whose every workflow task fails (undecodable event, "
    "non-determinism), with why; repair or end them with `journeyctl ops wedged`",
)
async def wedged_journeys(
    temporal: TemporalDep,
    scan: bool = Query(
        False,
        description="describe every running journey instead of asking Temporal for the runs "
        "it marked (for servers without TemporalReportedProblems; one call per journey)",
    ),
    limit: int = Query(200, ge=1, le=1000),
) -> list[WedgedJourney]:
    try:
        runs = await find_wedged(temporal, scan=scan, limit=limit)
    except RPCError as err:
        raise temporal_unavailable() from err
    return [
        WedgedJourney(
            workflow_id=run.workflow_id,
            run_id=run.run_id,
            workflow_type=run.workflow_type,
            attempts=run.attempts,
            failing_since=run.failing_since,
            cause=run.cause,
            error=run.error,
            can_reset=run.reset_point is not None,
        )
        for run in runs
    ]
