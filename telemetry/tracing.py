"""OpenTelemetry tracing: one trace from an API request through the journey workflow to each
activity and each outbound call, database statements included.

The API's Temporal client carries the SDK's TracingInterceptor, which puts the request's trace
context into the workflow's headers; the worker's client carries it too, so the workflow and
activity spans continue that trace in another process. httpx calls (LLM, channel providers) are
instrumented globally, database engines one by one (OpenTelemetry's maintained
instrumentations); other sends get a span from telemetry.senders.
"""

import sys
from typing import TYPE_CHECKING

from opentelemetry import trace
from temporalio.client import Client

from telemetry.settings import TelemetrySettings

# The SDK and the Temporal interceptor are imported when tracing is on: a process without
# tracing starts without them (bench/cold_start.py).
if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider

TRACER_NAME = "journeys"


def _one_line(span: "ReadableSpan") -> str:
    return span.to_json(indent=None) + "\n"


def build_tracer_provider(settings: TelemetrySettings, component: str) -> "TracerProvider | None":
    """A provider exporting to OTLP and/or the console, or None when tracing is off."""
    if not settings.tracing_enabled:
        return None
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SimpleSpanProcessor,
    )

    # Resource.create adds OTEL_RESOURCE_ATTRIBUTES; OTEL_SERVICE_NAME, when set, names us.
    name = settings.otel_service_name or f"{settings.service_name}-{component}"
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    if settings.traces_endpoint:
        # Headers, timeout, compression and certificates: the OTEL_EXPORTER_OTLP_* variables.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=settings.traces_endpoint)
        provider.add_span_processor(BatchSpanProcessor(exporter))
    if settings.console_traces:
        console = ConsoleSpanExporter(out=sys.stderr, formatter=_one_line)
        provider.add_span_processor(SimpleSpanProcessor(console))
    return provider


def configure_tracing(settings: TelemetrySettings, component: str) -> "TracerProvider | None":
    """Process-wide set-up for the API and the worker: global provider, httpx and SQLAlchemy
    instrumented (before the engines are created)."""
    provider = build_tracer_provider(settings, component)
    if provider is not None:
        trace.set_tracer_provider(provider)
        instrument_httpx(provider)
        instrument_sqlalchemy(provider)
    return provider


def instrument_httpx(provider: "TracerProvider") -> None:
    """Every httpx client in the process (LLM, providers) gets client spans and propagation."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor().instrument(tracer_provider=provider)


def uninstrument_httpx() -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor().uninstrument()


def instrument_sqlalchemy(provider: "TracerProvider") -> None:
    """Every engine created from now on (storage.database.create_engine) gives a client span per
    statement: db.system, db.statement with its placeholders (never the values bound to them)."""
    # The instrumentation (0.66b2) declares SQLAlchemy < 2.1; it works on 2.1, whose event API it
    # uses is unchanged (tests/test_telemetry.py checks the spans), so the check is skipped.
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    SQLAlchemyInstrumentor().instrument(
        tracer_provider=provider, enable_commenter=False, skip_dep_check=True
    )


def uninstrument_sqlalchemy() -> None:
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    SQLAlchemyInstrumentor().uninstrument()


def traced_client(client: Client, provider: "TracerProvider") -> Client:
    """The same connection with the SDK's TracingInterceptor added.

    Workers built from this client inherit the interceptor, so it must not be given to the
    Worker as well (spans would be doubled).
    """
    from temporalio.contrib.opentelemetry import TracingInterceptor

    config = client.config()
    interceptor = TracingInterceptor(provider.get_tracer(TRACER_NAME))
    config["interceptors"] = [*config["interceptors"], interceptor]
    return Client(**config)
