"""The API's telemetry: its /metrics route and the tracing of its requests (the web framework's
part, kept apart so that a worker starts without importing the framework)."""

from fastapi import APIRouter, FastAPI, Response
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    summary="Application counters in the Prometheus text format (bearer key required)",
    response_class=Response,
)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def instrument_app(app: FastAPI, provider: TracerProvider) -> None:
    # Health checks and scrapes every few seconds would drown the traces that matter.
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, excluded_urls="healthz,metrics"
    )
