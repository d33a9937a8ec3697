"""The HTTP API: events in, journeys started and signalled, customers and their messages."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import Depends, FastAPI
from opentelemetry.sdk.trace import TracerProvider
from temporalio.client import Client

from api.auth import require_api_key, resolve_api_keys
from api.errors import BodySizeLimit, error_responses, install_error_handlers
from api.openapi import document_errors
from api.routes import (
    customers,
    events,
    health,
    journeys,
    recommendations,
    reports,
    timeline,
    tracking,
    unsubscribe,
    webhooks,
)
from api.temporal import TemporalConnection
from settings import Settings
from storage.database import create_engine, session_factory
from telemetry import endpoints as metrics
from telemetry.tracing import instrument_app, traced_client
from temporal_client import connect_temporal

log = structlog.get_logger()


def create_app(
    settings: Settings,
    temporal_client: Client | None = None,
    tracer_provider: TracerProvider | None = None,
) -> FastAPI:
    """Build the app; tests pass the client of their Temporal environment.

    With a tracer provider (telemetry.tracing.configure_tracing), requests are traced and the
    trace continues into the journeys they start or signal.
    """

    engine = create_engine(settings.resolved_database_url)  # connects lazily, on first use

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(
        title="Journey orchestrator",
        version="0.1.0",
        description="Business events in; durable customer journeys on Temporal out.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.sessions = session_factory(engine)
    app.state.api_keys, generated = resolve_api_keys(settings)
    if generated:
        log.warning(
            "no API_KEYS set: using the development key",
            key_file=str(settings.data_dir / "dev-api-key"),
        )

    async def connect() -> Client:
        client = temporal_client or await connect_temporal(settings)
        return traced_client(client, tracer_provider) if tracer_provider else client

    app.state.temporal = TemporalConnection(connect)
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.include_router(health.router)
    # Signed by the provider or the link itself instead of the bearer key.
    unavailable = error_responses(503)
    app.include_router(webhooks.router, responses=unavailable)
    app.include_router(tracking.router, responses=unavailable)
    app.include_router(unsubscribe.router, responses=unavailable)
    app.include_router(reports.link_router, responses=unavailable)
    authenticated = [Depends(require_api_key)]
    guarded = error_responses(401, 503)
    for module in (events, customers, recommendations, journeys, timeline, metrics, reports):
        app.include_router(module.router, dependencies=authenticated, responses=guarded)
    app.include_router(reports.page_router, dependencies=authenticated, responses=guarded)
    document_errors(app)
    if tracer_provider is not None:
        instrument_app(app, tracer_provider)
    return app
