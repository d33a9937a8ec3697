"""Traces from the API request to the outbound send, metrics endpoints, and log lines that carry
the trace and never a person."""

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import pytest
import structlog
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from channels.base import DeliveryError, OutgoingMessage
from channels.smtp import SmtpSender
from journeys.runs import JourneyState
from logging_setup import configure_logging
from models.channels import Channel
from settings import REPO_ROOT, Settings
from storage.database import create_engine, session_factory
from telemetry.endpoints import prometheus_runtime, serve_metrics
from telemetry.metrics import sends
from telemetry.senders import InstrumentedSender
from telemetry.settings import TelemetrySettings
from telemetry.tracing import (
    build_tracer_provider,
    instrument_httpx,
    instrument_sqlalchemy,
    traced_client,
    uninstrument_httpx,
    uninstrument_sqlalchemy,
)
from tests.conftest import API_KEY, DATA_CONVERTER, make_settings, unique
from tests.journey_helpers import cart
from tests.smtp_server import SmtpSink
from workers.build import build_worker


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrument_httpx(provider)
    instrument_sqlalchemy(provider)
    yield provider, exporter
    uninstrument_httpx()
    uninstrument_sqlalchemy()
    provider.shutdown()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_one_api_request_is_one_trace_down_to_the_smtp_send(
    temporal_env: WorkflowEnvironment,
    sqlite_url: str,
    smtp: SmtpSink,
    tmp_path: Path,
    spans: tuple[TracerProvider, InMemorySpanExporter],
    capsys: pytest.CaptureFixture[str],
) -> None:
    provider, exporter = spans
    configure_logging(Settings(log_format="json"))
    settings = make_settings(sqlite_url, tmp_path, smtp_host=smtp.host, smtp_port=smtp.port)
    app = create_app(settings, temporal_client=temporal_env.client, tracer_provider=provider)
    engine = create_engine(settings.resolved_database_url)
    worker_client = traced_client(temporal_env.client, provider)
    customer_id = unique("c")
    async with (
        build_worker(worker_client, settings, session_factory(engine), provider),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://api",
            headers={"Authorization": f"Bearer {API_KEY}"},
        ) as http,
    ):
        profile = {"email": f"{customer_id}@example.com", "consent": {"email": True}}
        assert (await http.put(f"/v1/customers/{customer_id}", json=profile)).status_code == 200
        exporter.clear()
        body = {
            "event_id": unique("e"),
            "customer_id": customer_id,
            "type": "cart_updated",
            "occurred_at": datetime.now(UTC).isoformat(),
            "properties": cart(),
        }
        assert (await http.post("/v1/events", json=body)).status_code == 202
        handle = temporal_env.client.get_workflow_handle(
            f"cart_abandonment:{customer_id}", result_type=JourneyState
        )
        state = await handle.result()
    await engine.dispose()

    finished: list[ReadableSpan] = list(exporter.get_finished_spans())
    server = next(s for s in finished if s.name == "POST /v1/events" and s.parent is None)
    trace_id = server.context.trace_id
    in_trace = {s.context.span_id: s for s in finished if s.context.trace_id == trace_id}
    names = {s.name for s in in_trace.values()}
    assert {"RunWorkflow:CartAbandonment", "RunActivity:decide_and_deliver"} <= names

    def ancestry(span: ReadableSpan) -> list[str]:
        chain = [span.name]
        while span.parent is not None:
            span = in_trace[span.parent.span_id]
            chain.append(span.name)
        return chain

    # Database statements are spans of the same trace, with the semantic conventions' names:
    # the API's (storing the event) and the activities' (deciding, recording the delivery).
    statements = [s for s in in_trace.values() if s.attributes.get("db.system") == "sqlite"]
    assert any("POST /v1/events" in ancestry(s) for s in statements)
    assert any("RunActivity:decide_and_deliver" in ancestry(s) for s in statements)
    assert all("example.com" not in str(s.attributes.get("db.statement")) for s in statements)

    sent = [m for m in state.messages if m.status == "sent"]
    assert sent, "the journey sent nothing: nothing to trace"
    send_spans = [s for s in in_trace.values() if s.name == "send email"]
    assert len(send_spans) == len(sent)
    for span in send_spans:
        assert span.attributes["messaging.destination.name"] == "email"
        assert span.attributes["messaging.operation.type"] == "send"
        assert span.attributes["messaging.message.id"] in {m.message_id for m in sent}
        assert ancestry(span) == [
            "send email",
            "RunActivity:decide_and_deliver",
            "StartActivity:decide_and_deliver",
            "StartWorkflow:CartAbandonment",
            "POST /v1/events",
        ]

    # Log lines written inside the activities carry the ids of the trace they belong to.
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    decided = [line for line in lines if line.get("event") == "message decided"]
    assert decided and all(line["trace_id"] == format(trace_id, "032x") for line in decided)
    assert all(len(line["span_id"]) == 16 for line in decided)


class _Collector(BaseHTTPRequestHandler):
    """A stand-in OpenTelemetry collector: keeps what is POSTed to /v1/traces."""

    received: list[ExportTraceServiceRequest] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/v1/traces":
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            self.received.append(request)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def test_spans_are_exported_over_otlp_when_an_endpoint_is_set() -> None:
    assert build_tracer_provider(TelemetrySettings(), "api") is None  # off unless configured
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        settings = Settings(_env_file=None, telemetry={"otlp_endpoint": endpoint})
        provider = build_tracer_provider(settings.telemetry, "worker")
        assert provider is not None
        with provider.get_tracer("test").start_as_current_span("deliver a message"):
            pass
        assert provider.force_flush(10_000)
        provider.shutdown()
    finally:
        server.shutdown()
    exported = [
        (resource.resource, span.name)
        for request in _Collector.received
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]
    assert [name for _, name in exported] == ["deliver a message"]
    attributes = {a.key: a.value.string_value for a in exported[0][0].attributes}
    assert attributes["service.name"] == "journeys-worker"


def test_the_standard_otel_variables_configure_the_export(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Collector.received.clear()
    try:
        monkeypatch.setenv(
            "OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}"
        )
        monkeypatch.setenv("OTEL_SERVICE_NAME", "shop-journeys")
        monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=staging")
        settings = Settings()
        assert settings.telemetry.tracing_enabled
        provider = build_tracer_provider(settings.telemetry, "worker")
        assert provider is not None
        with provider.get_tracer("test").start_as_current_span("decide"):
            pass
        assert provider.force_flush(10_000)
        provider.shutdown()
        monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
        assert build_tracer_provider(Settings().telemetry, "worker") is None
    finally:
        server.shutdown()
    [resource] = [r.resource for request in _Collector.received for r in request.resource_spans]
    attributes = {a.key: a.value.string_value for a in resource.attributes}
    assert attributes["service.name"] == "shop-journeys"
    assert attributes["deployment.environment.name"] == "staging"


def test_console_traces_are_one_json_line_per_span(capsys: pytest.CaptureFixture[str]) -> None:
    provider = build_tracer_provider(TelemetrySettings(console_traces=True), "api")
    assert provider is not None
    with provider.get_tracer("test").start_as_current_span("outer"):
        with provider.get_tracer("test").start_as_current_span("inner"):
            pass
    provider.shutdown()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["name"] for line in lines] == ["inner", "outer"]


def test_telemetry_settings_come_from_nested_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEMETRY__OTLP_ENDPOINT", "http://collector:4318")
    monkeypatch.setenv("TELEMETRY__SDK_METRICS_ADDRESS", "0.0.0.0:9464")
    telemetry = Settings().telemetry
    assert telemetry.otlp_endpoint == "http://collector:4318" and telemetry.tracing_enabled
    assert telemetry.sdk_metrics_address == "0.0.0.0:9464" and telemetry.metrics_address == ""


def _sent_count(channel: str, result: str) -> float:
    return sends.labels(channel, result)._value.get()


async def test_sends_are_counted_by_channel_and_result(smtp: SmtpSink) -> None:
    def sender(port: int) -> InstrumentedSender:
        settings = Settings(smtp_host=smtp.host, smtp_port=port, smtp_timeout_seconds=2.0)
        return InstrumentedSender(SmtpSender(settings), TracerProvider().get_tracer("test"))

    message = OutgoingMessage(
        message_id=unique("m"),
        idempotency_key=unique("k"),
        customer_id=unique("c"),
        channel=Channel.EMAIL,
        address="someone@example.com",
        locale="en",
        title="Your cart",
        body="Still thinking it over?",
    )
    sent_before, failed_before = _sent_count("email", "sent"), _sent_count("email", "failed")
    await sender(smtp.port).send(message)
    with pytest.raises(DeliveryError):
        await sender(free_port()).send(message)  # nothing listens there
    assert _sent_count("email", "sent") == sent_before + 1
    assert _sent_count("email", "failed") == failed_before + 1
    assert not sender(smtp.port).idempotent  # the wrapper keeps the sender's promise


async def test_the_api_serves_its_counters_to_a_scraper_with_the_key(
    temporal_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    app = create_app(make_settings(sqlite_url, tmp_path), temporal_client=temporal_env.client)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        anonymous = await http.get("/metrics")
        scraped = await http.get("/metrics", headers={"Authorization": f"Bearer {API_KEY}"})
    assert anonymous.status_code == 401
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    for counter in ("messages_decided", "sends", "llm_fallbacks", "guardrail_deferrals"):
        assert f"# TYPE journey_{counter}_total counter" in scraped.text


async def test_the_worker_process_serves_sdk_and_application_metrics(
    temporal_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    sdk_port, app_port = free_port(), free_port()
    task_queue = f"tq-{unique('metrics')}"
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "TASK_QUEUE": task_queue,
        "DATABASE_URL": sqlite_url,
        "DATA_DIR": str(tmp_path),
        "LOG_FORMAT": "json",
        "TELEMETRY__SDK_METRICS_ADDRESS": f"127.0.0.1:{sdk_port}",
        "TELEMETRY__METRICS_ADDRESS": f"127.0.0.1:{app_port}",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "cli", "worker"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        async with httpx.AsyncClient() as http:

            async def scrape(port: int, needle: str) -> str:
                for _ in range(150):
                    assert worker.poll() is None, worker.stderr.read().decode()
                    try:
                        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
                        if needle in text:
                            return text
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.2)
                raise AssertionError(f"no {needle!r} on port {port}")

            await scrape(sdk_port, f'task_queue="{task_queue}"')  # the SDK's, about this worker
            await scrape(app_port, "journey_sends")
    finally:
        worker.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(worker.wait, 30)
    assert code == 0, worker.stderr.read().decode()


async def test_a_prometheus_runtime_reports_client_calls(
    temporal_env: WorkflowEnvironment,
) -> None:
    port = free_port()
    runtime = prometheus_runtime(f"127.0.0.1:{port}")
    client = await Client.connect(
        temporal_env.client.service_client.config.target_host,
        runtime=runtime,
        data_converter=DATA_CONVERTER,
    )
    await client.count_workflows()
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    assert "temporal_request" in text
    with pytest.raises(ValueError):
        prometheus_runtime("9464")


def test_the_worker_metrics_server_serves_the_counters() -> None:
    server = serve_metrics(f"127.0.0.1:{free_port()}")
    try:
        text = httpx.get(f"http://127.0.0.1:{server.server_port}/metrics").text
    finally:
        server.shutdown()
    assert "journey_guardrail_deferrals" in text


def test_log_lines_carry_the_current_trace_and_no_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(Settings(log_format="json"))
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("deliver") as span:
        structlog.get_logger("test").info(
            "customer context",
            customer_id="c-1",
            name="Ada Lovelace",
            profile={"First_Name": "Ada", "last_name": "Lovelace", "email": "not-an-address"},
            items=[{"sku": "sku-1", "full_name": "Ada L."}],
            phone="138 0013",
        )
        logging.getLogger("temporalio.activity").warning("retrying for ada@example.com")
    structlog.get_logger("test").info("outside any span")

    ours, theirs, outside = (json.loads(line) for line in capsys.readouterr().err.splitlines())
    context = span.get_span_context()
    assert ours["trace_id"] == theirs["trace_id"] == format(context.trace_id, "032x")
    assert ours["span_id"] == format(context.span_id, "016x")
    assert "trace_id" not in outside
    assert ours["customer_id"] == "c-1" and ours["name"] == "[name]"
    assert ours["profile"] == {"First_Name": "[name]", "last_name": "[name]", "email": "[email]"}
    assert ours["items"] == [{"sku": "sku-1", "full_name": "[name]"}]
    assert ours["phone"] == "[phone]"
    assert theirs["event"] == "retrying for [email]"
    assert "Ada" not in json.dumps([ours, theirs])


def test_console_logs_for_a_terminal_and_json_otherwise(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(Settings(log_format="console"))
    structlog.get_logger("test").info("readable", first_name="Ada")
    line = capsys.readouterr().err
    assert "readable" in line and "first_name=[name]" in line and not line.startswith("{")

    configure_logging(Settings(log_format="auto"))  # stderr is captured here, not a terminal
    structlog.get_logger("test").info("machine readable")
    assert json.loads(capsys.readouterr().err)["event"] == "machine readable"
