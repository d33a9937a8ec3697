"""`GET /metrics`: the API's application counters in the Prometheus text format, with the count
of wedged journeys taken from Temporal at each scrape."""

import structlog
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ops.wedged import count_flagged
from telemetry import metrics as counters

log = structlog.get_logger()

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    summary="Application counters in the Prometheus text format (bearer key required)",
    response_class=Response,
)
async def metrics(request: Request) -> Response:
    await _count_wedged(request)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def _count_wedged(request: Request) -> None:
    """`journey_wedged_runs`, counted by Temporal at each scrape (one call, within the API's
    wait for Temporal); while Temporal does not answer the last count stays."""
    temporal = request.app.state.temporal
    try:
        count = await temporal.within_deadline(count_flagged(await temporal.client()))
    except Exception as err:  # noqa: BLE001 - a scrape must not fail for it
        log.warning("wedged journeys not counted", error=type(err).__name__)
        return
    counters.wedged_journeys.set(count)
