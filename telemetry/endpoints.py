"""Where Prometheus scrapes the worker: its two metrics ports (the API's /metrics route is
api/routes/metrics.py)."""

from wsgiref.simple_server import WSGIServer

from prometheus_client import start_http_server
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig


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
