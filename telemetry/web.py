"""The API's request tracing (the web framework's part, kept apart so that a worker starts without
importing the framework; the API's /metrics route is api/routes/metrics.py)."""

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider


def instrument_app(app: FastAPI, provider: TracerProvider) -> None:
    # Health checks and scrapes every few seconds would drown the traces that matter.
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, excluded_urls="healthz,metrics"
    )
