"""The HTTP API: events in, journeys started and signalled, customers and their messages."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from opentelemetry.sdk.trace import TracerProvider
from temporalio.client import Client

from api.auth import CUSTOMERS_READ, EVENTS_WRITE, OPS, authenticate, resolve_api_keys
from api.console import mount_console
from api.errors import error_responses, install_error_handlers
from api.limits import RequestLimits
from api.openapi import document_errors
from api.routes import (
    alerts,
    codec,
    customers,
    email_events,
    events,
    health,
    journeys,
    metrics,
    operators,
    preferences,
    profile,
    recommendations,
    reports,
    sms_callbacks,
    switches,
    timeline,
    tracking,
    unsubscribe,
    webhook_endpoints,
    webhooks,
    wechat_events,
)
from api.temporal import TemporalConnection
from encryption.payloads import EncryptionCodec
from settings import Settings
from storage.database import create_engine, session_factory
from telemetry import web as api_telemetry
from telemetry.tracing import traced_client
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

    # Connects lazily, on first use.
    engine = create_engine(settings.resolved_database_url, settings.keyring())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(
        title="Journey orchestrator",
        version="0.1.0",
        description="Business events in; durable customer journeys on Temporal out.",
        lifespan=lifespan,
        # Clients generated from the document keep their method names: an operation is named
        # after its handler (unique, tests/test_api_schema.py), not after its path.
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    app.state.sessions = session_factory(engine)
    # The codec server reads what the processes' converter wrote (temporal_client.py).
    app.state.codec = EncryptionCodec(settings.keyring(), settings.encrypt_payloads)
    app.state.api_keys, generated = resolve_api_keys(settings)
    if generated:
        log.warning(
            "no API_KEYS set: using the development key",
            key_file=str(settings.data_dir / "dev-api-key"),
        )

    async def connect() -> Client:
        client = temporal_client or await connect_temporal(settings)
        return traced_client(client, tracer_provider) if tracer_provider else client

    app.state.temporal = TemporalConnection(connect, settings.temporal_wait_seconds)
    install_error_handlers(app)
    app.add_middleware(RequestLimits, max_bytes=settings.max_body_bytes)
    app.include_router(health.router)
    # Signed by the provider or the link itself instead of the bearer key.
    unavailable = error_responses(503)
    app.include_router(webhooks.router, responses=unavailable)
    app.include_router(sms_callbacks.router, responses=unavailable)
    app.include_router(wechat_events.router, responses=unavailable)
    app.include_router(email_events.router, responses=unavailable)
    app.include_router(tracking.router, responses=unavailable)
    app.include_router(unsubscribe.router, responses=unavailable)
    app.include_router(reports.link_router, responses=unavailable)
    # Every other route needs a key (401), and its scope (403): a router of one scope names it
    # here, the others name it per route.
    authenticated = [Depends(authenticate)]
    guarded = error_responses(401, 403, 503)
    scoped = [
        (events.router, EVENTS_WRITE),
        (timeline.router, CUSTOMERS_READ),
        (metrics.router, OPS),
        (operators.router, OPS),
        (switches.router, OPS),
        (alerts.router, OPS),
        (webhook_endpoints.router, OPS),
        (reports.page_router, CUSTOMERS_READ),
    ]
    for router, scope in scoped:
        app.include_router(router, dependencies=[*authenticated, scope], responses=guarded)
    for router in (
        customers.router,
        preferences.router,
        profile.router,
        recommendations.router,
        journeys.router,
        reports.router,
    ):
        app.include_router(router, dependencies=authenticated, responses=guarded)
    # Its own key check: the Web UI sends the key in a cookie (api/routes/codec.py).
    app.include_router(codec.router, responses=error_responses(503))
    # The operator console: its own login form and session cookie (api/console/session.py).
    mount_console(app)
    document_errors(app)
    if tracer_provider is not None:
        api_telemetry.instrument_app(app, tracer_provider)
    return app


def operation_id(route: APIRoute) -> str:
    return route.name
