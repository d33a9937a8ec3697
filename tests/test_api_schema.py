"""Every route, fuzzed from the API's own OpenAPI schema (schemathesis): never a 5xx, and every
answer is one the schema declares, with the body it declares.

The API runs for real (`journeyctl api` under uvicorn, in a process of its own) against the
session's Temporal server and SQLite database, on a task queue no worker polls: journeys that
fuzzed events start only wait. Requests carry the bearer key; the signed-link routes are fuzzed
with whatever tokens the generator makes (and refuse them).
"""

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from temporalio.testing import WorkflowEnvironment

from tests.conftest import API_KEY

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
HEADERS = {"Authorization": f"Bearer {API_KEY}"}
SEEDED_CUSTOMER = "fuzz-customer"
EXAMPLES_PER_ROUTE = 40


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def api_url(
    temporal_env: WorkflowEnvironment, sqlite_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "DATABASE_URL": sqlite_url,
        "API_KEYS": json.dumps([API_KEY]),
        "TASK_QUEUE": f"fuzz-{uuid.uuid4()}",
        "DATA_DIR": str(tmp_path_factory.mktemp("fuzz")),
        "LOG_LEVEL": "error",
    }
    journeyctl = Path(sys.executable).parent / "journeyctl"
    process = subprocess.Popen(
        [str(journeyctl), "api", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code in (200, 503):
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the API did not come up: {process.stderr.read()!r}")
        time.sleep(0.2)
    seeded = httpx.put(
        f"{url}/v1/customers/{SEEDED_CUSTOMER}",
        json={"email": "fuzz@example.com", "consent": {"email": True}},
        headers=HEADERS,
    )
    assert seeded.status_code == 200, seeded.text
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def api_schema(api_url: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{api_url}/openapi.json")


def test_every_route_answers_as_its_schema_says(
    api_schema: schemathesis.BaseSchema, api_url: str
) -> None:
    """Each operation on its own, so one failure does not hide the others' (schemathesis' pytest
    plugin does this with subtests, which the pytest in use no longer supports)."""
    failures: dict[str, str] = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_ROUTE,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case) -> None:
            parameters = case.path_parameters or {}
            if "customer_id" in parameters and len(str(parameters["customer_id"])) % 3 == 0:
                # Now and then an existing customer, so the route gets past its 404.
                parameters["customer_id"] = SEEDED_CUSTOMER
            case.call_and_validate(base_url=api_url, headers=HEADERS, checks=CHECKS, timeout=30)

        try:
            call()
        except (Exception, BaseExceptionGroup) as failure:  # failed checks, with their cases
            failures[operation.label] = str(failure)[:2000]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


def test_a_streamed_body_over_the_limit_gets_413_as_a_declared_one_does(api_url: str) -> None:
    """Sent without Content-Length (chunked), 1 MB gets the 413 a declared size gets, in the
    same shape, from the API served by uvicorn."""

    def chunks() -> Iterator[bytes]:
        for _ in range(16):
            yield b"x" * 65536

    headers = {**HEADERS, "Content-Type": "application/json"}
    streamed = httpx.post(f"{api_url}/v1/events", content=chunks(), headers=headers, timeout=30)
    declared = httpx.post(f"{api_url}/v1/events", content=b"x" * 2**20, headers=headers)
    for response in (streamed, declared):
        assert response.status_code == 413, response.text
        assert response.json()["detail"][0]["field"] == "body"
