"""OpenTelemetry tracing: one trace from an API request through the journey workflow to each
activity and each outbound call.

The API's Temporal client carries the SDK's TracingInterceptor, which puts the request's trace
context into the workflow's headers; the worker's client carries it too, so the workflow and
activity spans continue that trace in another process. httpx calls (LLM, channel providers) are
instrumented globally; other sends get a span from telemetry.senders.
"""

import sys

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
)
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor

from telemetry.settings import TelemetrySettings

TRACER_NAME = "journeys"


def _one_line(span: ReadableSpan) -> str:
    return span.to_json(indent=None) + "\n"


def build_tracer_provider(settings: TelemetrySettings, component: str) -> TracerProvider | None:
    """A provider exporting to OTLP and/or the console, or None when tracing is off."""
    if not settings.tracing_enabled:
        return None
    resource = Resource.create({"service.name": f"{settings.service_name}-{component}"})
    provider = TracerProvider(resource=resource)
    if settings.otlp_endpoint:
        exporter = OTLPSpanExporter(endpoint=settings.otlp_endpoint.rstrip("/") + "/v1/traces")
        provider.add_span_processor(BatchSpanProcessor(exporter))
    if settings.console_traces:
        console = ConsoleSpanExporter(out=sys.stderr, formatter=_one_line)
        provider.add_span_processor(SimpleSpanProcessor(console))
    return provider


def configure_tracing(settings: TelemetrySettings, component: str) -> TracerProvider | None:
    """Process-wide set-up for the API and the worker: global provider, httpx instrumented."""
    provider = build_tracer_provider(settings, component)
    if provider is not None:
        trace.set_tracer_provider(provider)
        instrument_httpx(provider)
    return provider


def instrument_httpx(provider: TracerProvider) -> None:
    """Every httpx client in the process (LLM, providers) gets client spans and propagation."""
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)


def uninstrument_httpx() -> None:
    HTTPXClientInstrumentor().uninstrument()


def traced_client(client: Client, provider: TracerProvider) -> Client:
    """The same connection with the SDK's TracingInterceptor added.

    Workers built from this client inherit the interceptor, so it must not be given to the
    Worker as well (spans would be doubled).
    """
    config = client.config()
    interceptor = TracingInterceptor(provider.get_tracer(TRACER_NAME))
    config["interceptors"] = [*config["interceptors"], interceptor]
    return Client(**config)
