"""Our processes as a deployment runs them: `journeyctl api|worker|migrate` in processes of
their own, configured by environment variables only, in production mode."""

import base64
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from settings import REPO_ROOT

JOURNEYCTL = str(Path(sys.executable).parent / "journeyctl")
OPS_KEY = "ops-key-" + "o" * 24
BACKEND_KEY = "backend-key-" + "b" * 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def production_env(**overrides: str) -> dict[str, str]:
    """Everything a production process needs, made up for the test: each secret shared by all
    the processes given this environment."""
    keys = [
        {"name": "backend", "key": BACKEND_KEY, "scopes": ["events:write", "customers:write"]},
        {"name": "operator", "key": OPS_KEY, "scopes": ["ops", "customers:read"]},
    ]
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TEMPORAL_", "ENCRYPTION__", "GUARDRAILS__", "CHANNELS__"))
        and key not in ("API_KEYS", "DATABASE_URL", "DATA_DIR", "ENVIRONMENT")
    }
    env.update(
        {
            "ENVIRONMENT": "production",
            "API_KEYS": json.dumps(keys),
            "ENCRYPTION__KEYS": json.dumps({"2026-12": _random_key()}),
            "ENCRYPTION__LOOKUP_KEY": _random_key(),
            "GUARDRAILS__UNSUBSCRIBE_SECRET": secrets.token_urlsafe(32),
            "CHANNELS__TRACKING_SECRET": secrets.token_urlsafe(32),
            "REPORTS__LINK_SECRET": secrets.token_urlsafe(32),
            "CONSOLE_SESSION_SECRET": secrets.token_urlsafe(32),
            "CHANNELS__PUBLIC_BASE_URL": "https://shop.example.com/api",
            "LOG_LEVEL": "warning",
            "LOG_FORMAT": "json",
        }
    )
    env.update(overrides)
    return env


def _random_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def run(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [JOURNEYCTL, *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout
    )


def start(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [JOURNEYCTL, *args], env=env, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT
        )


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not come up")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
