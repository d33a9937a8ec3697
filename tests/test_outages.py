"""An event is never accepted when it cannot be stored or routed; the sender's retry works once."""

import socket
import time
from datetime import UTC, datetime
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from tests.conftest import Stack, make_settings, unique
from tests.journey_helpers import cart
from tests.test_server_restart import DevServer


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens once the probe is closed


def cart_event(customer_id: str) -> dict:
    return {
        "event_id": unique("e"),
        "customer_id": customer_id,
        "type": "cart_updated",
        "occurred_at": datetime.now(UTC).isoformat(),
        "properties": cart(),
    }


async def test_temporal_unreachable_answers_503_and_the_retry_routes_once(
    sqlite_url: str, temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    settings = make_settings(sqlite_url, tmp_path, temporal_address=f"127.0.0.1:{closed_port()}")
    down = Stack(settings, None)  # connects to the configured, dead, address
    body = cart_event(unique("c"))
    response = await down.http.post("/v1/events", json=body)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"

    up = Stack(make_settings(sqlite_url, tmp_path), temporal_env.client)
    with temporal_env.with_time_skipping_disabled():
        retried = await up.http.post("/v1/events", json=body)
        again = await up.http.post("/v1/events", json=body)
    assert retried.status_code == 202 and retried.json()["duplicate"] is False
    assert again.json()["duplicate"] is True
    started = [j for j in retried.json()["journeys"] if j["action"] == "started"]
    assert [j["journey"] for j in started] == ["cart_abandonment"]
    await temporal_env.client.get_workflow_handle(started[0]["workflow_id"]).terminate("done")
    for stack in (down, up):
        await stack.close()


async def test_database_unreachable_answers_503_and_accepts_nothing(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/test"
    stack = Stack(make_settings(url, tmp_path), temporal_env.client)
    response = await stack.http.post("/v1/events", json=cart_event(unique("c")))
    assert response.status_code == 503
    assert response.json()["detail"][0]["reason"].startswith("database unavailable")
    health = await stack.http.get("/healthz")
    assert health.status_code == 503 and health.json()["database"] == "unavailable"
    await stack.close()


async def test_every_route_answers_503_while_the_database_is_unreachable(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/test"
    stack = Stack(make_settings(url, tmp_path), temporal_env.client)
    customer = "/v1/customers/c-1"
    requests = [
        ("PUT", customer, {"timezone": "UTC"}),
        ("GET", customer, None),
        ("PUT", f"{customer}/consent", {"email": True}),
        ("GET", f"{customer}/messages", None),
        ("GET", "/v1/reports/funnel", None),
    ]
    for method, path, body in requests:
        response = await stack.http.request(method, path, json=body)
        assert response.status_code == 503, (method, path, response.text)
        assert response.headers["Retry-After"] == "5"
        assert response.json()["detail"][0]["reason"] == "database unavailable; retry later"
    await stack.close()


async def test_a_killed_temporal_gets_the_sender_a_503_within_two_seconds(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The API's client was connected when the server died: the SDK would retry for 10 s behind
    a 30 s timeout; the sender hears 503 (with Retry-After) within 2 s instead, and its retry
    with the same event id routes the event once the server is back."""
    server = DevServer(tmp_path / "temporal.db")
    await server.start()
    settings = make_settings(sqlite_url, tmp_path, temporal_address=server.address)
    stack = Stack(settings, None)  # the API's own client, as in production
    try:
        first = await stack.http.post("/v1/events", json=cart_event(unique("c")))
        assert first.status_code == 202, first.text
        server.kill()
        body = cart_event(unique("c"))
        for _ in range(3):
            started = time.monotonic()
            response = await stack.http.post("/v1/events", json=body)
            waited = time.monotonic() - started
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"] == "5"
            assert waited < 2.0, f"answered after {waited:.1f} s"
        await server.start()
        retried = await stack.http.post("/v1/events", json=body)
        assert retried.status_code == 202 and retried.json()["duplicate"] is False
    finally:
        await stack.close()
        if server.process is not None and server.process.poll() is None:
            server.kill()
