"""A real model behind a real OpenAI-compatible server: llama-cpp-python serving a small
instruct model (tests/real_llm/server.py), started once for these tests, every request captured.
`REAL_LLM_MODEL` picks the model (one of `MODELS`; SmolLM2-135M-Instruct by default)."""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.catalog_server import fake_catalog  # noqa: F401 - fixture
from tests.real_llm.server import DEFAULT_MODEL, MODELS

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class RealLLM:
    base_url: str
    model: str
    capture: Path
    log: Path

    def requests(self) -> list[dict[str, Any]]:
        """Every chat-completions request the server has finished with, in order."""
        if not self.capture.exists():
            return []
        text = self.capture.read_text("utf-8")
        # A record the server is still appending has no newline yet: only whole lines count
        # (a CI run once read one half-written and failed on it).
        complete = text[: text.rfind("\n") + 1]
        records = [json.loads(line) for line in complete.splitlines() if line]
        return [r for r in records if r["path"] == "/v1/chat/completions"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def real_llm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealLLM]:
    folder = tmp_path_factory.mktemp("real_llm")
    port = _free_port()
    model = os.environ.get("REAL_LLM_MODEL", DEFAULT_MODEL)
    if model not in MODELS:
        raise ValueError(f"REAL_LLM_MODEL={model!r}: one of {sorted(MODELS)}")
    server = RealLLM(
        base_url=f"http://127.0.0.1:{port}/v1",
        model=model,
        capture=folder / "requests.jsonl",
        log=folder / "server.log",
    )
    with server.log.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.real_llm.server",
                "--port",
                str(port),
                "--capture",
                str(server.capture),
                "--model",
                model,
            ],
            cwd=ROOT,
            # llama.cpp's OpenMP threads spin while they wait: on cores shared with other
            # processes that made generation 15x slower here; passive waiting does not.
            env={**os.environ, "OMP_WAIT_POLICY": "passive"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 300
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited: {server.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{server.base_url}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"no server after 300 s: {server.log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
