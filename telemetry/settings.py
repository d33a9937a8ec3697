"""Where traces go and where metrics are served.

The standard OpenTelemetry variables configure tracing (settings.py reads them into this model):
`OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) turns OTLP/HTTP export
on, `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` name the process, `OTEL_SDK_DISABLED`
turns tracing off, and the exporter reads `OTEL_EXPORTER_OTLP_HEADERS`, `..._TIMEOUT`,
`..._CERTIFICATE` and the sampler `OTEL_TRACES_SAMPLER` itself. `TELEMETRY__OTLP_ENDPOINT` is
the older name of the first and still works; the metrics addresses are ours (`TELEMETRY__*`).
"""

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
    otlp_traces_endpoint: str = Field(
        "",
        description="the full traces URL (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); wins over the base",
    )
    otel_service_name: str = Field(
        "", description="OTEL_SERVICE_NAME: the service.name of this process, as given"
    )
    disabled: bool = Field(False, description="OTEL_SDK_DISABLED: no tracing whatever is set")
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
    def traces_endpoint(self) -> str:
        if self.otlp_traces_endpoint:
            return self.otlp_traces_endpoint
        return self.otlp_endpoint.rstrip("/") + "/v1/traces" if self.otlp_endpoint else ""

    @property
    def tracing_enabled(self) -> bool:
        return not self.disabled and (bool(self.traces_endpoint) or self.console_traces)
