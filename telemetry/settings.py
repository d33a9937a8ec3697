"""Where traces go and where metrics are served (env vars `TELEMETRY__*`)."""

from pydantic import BaseModel, Field


class TelemetrySettings(BaseModel):
    service_name: str = Field(
        "journeys", description="prefix of the OpenTelemetry service.name (-api, -worker)"
    )
    otlp_endpoint: str = Field(
        "",
        description="OTLP/HTTP collector base URL, e.g. http://otel-collector:4318; "
        "empty: no OTLP export",
    )
    console_traces: bool = Field(
        False, description="print every finished span to stderr (development)"
    )
    sdk_metrics_address: str = Field(
        "",
        description="host:port of the worker's Temporal SDK Prometheus endpoint, "
        "e.g. 0.0.0.0:9464; empty: off",
    )
    metrics_address: str = Field(
        "",
        description="host:port of the worker's /metrics with the application counters, "
        "e.g. 0.0.0.0:9465; empty: off (the API serves its own on /metrics)",
    )

    @property
    def tracing_enabled(self) -> bool:
        return bool(self.otlp_endpoint) or self.console_traces
