"""Where Prometheus scrapes: the API's /metrics route, the worker's two metrics ports."""

from wsgiref.simple_server import WSGIServer

import structlog
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest, start_http_server
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

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


def split_address(address: str) -> tuple[str, int]:
    """'0.0.0.0:9465' → ('0.0.0.0', 9465)."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"not a host:port address: {address!r}")
    return host, int(port)


def serve_metrics(address: str) -> WSGIServer:
    """Serve the application counters on http://address/metrics from a daemon thread."""
    host, port = split_address(address)
    server, _thread = start_http_server(port, addr=host)
    return server


def prometheus_runtime(address: str) -> Runtime:
    """A Temporal runtime whose SDK metrics (task latencies, slots, polls, failures) are
    served for Prometheus on http://address/metrics. Clients connected with it (or after it is
    made the default with Runtime.set_default) report into it."""
    split_address(address)  # fail on a typo here rather than inside the Rust core
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address)))
