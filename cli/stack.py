"""`journeyctl up`: the whole stack on embedded defaults, in one terminal."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

import httpx

from api.auth import resolve_api_keys
from cli.dev_server import dev_server_args, temporal_binary
from recommendations.tables import ensure_recommendations
from settings import Settings
from storage.database import migrate
from temporal_client import connect_temporal


def _wait(
    what: str,
    check: Callable[[], bool],
    children: Sequence[subprocess.Popen[bytes]],
    timeout: float = 60,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            raise SystemExit(f"{what}: a process exited early; see the logs in data/")
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{what} did not come up within {timeout:.0f} s")


def _temporal_ready(settings: Settings) -> bool:
    async def check() -> bool:
        client = await connect_temporal(settings)
        return await client.service_client.check_health()

    return asyncio.run(check())


DEMO_CATALOG_PORT = 8081


def run_stack(settings: Settings, api_port: int) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    keys, generated = resolve_api_keys(settings)
    env = {**os.environ, "DATA_DIR": str(settings.data_dir)}
    # No catalog service configured: the demo catalogue serves live price and stock.
    demo_catalog = settings.catalog is None
    if demo_catalog:
        env["CATALOG__BASE_URL"] = f"http://127.0.0.1:{DEMO_CATALOG_PORT}"
    children: list[subprocess.Popen[bytes]] = []

    def start(step: str, argv: list[str]) -> None:
        print(f"  starting {step} (log: data/{step}.log)", flush=True)
        log = open(settings.data_dir / f"{step}.log", "ab")  # noqa: SIM115 - lives with the child
        children.append(subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT))

    def terminate(*_args: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    try:
        print("[1/3] Temporal dev server (SQLite persistence in data/temporal.db)", flush=True)
        start("temporal", [temporal_binary(), *dev_server_args(settings.data_dir / "temporal.db")])
        _wait("Temporal", lambda: _temporal_ready(settings), children)
        print("[2/3] database migrations, recommendation tables, then the worker", flush=True)
        asyncio.run(migrate(settings.resolved_database_url, settings.keyring()))
        asyncio.run(ensure_recommendations(settings))
        if demo_catalog:
            start("catalog", [sys.executable, "-m", "cli", "catalog", "demo"])
        start("worker", [sys.executable, "-m", "cli", "worker"])
        print("[3/3] API", flush=True)
        start("api", [sys.executable, "-m", "cli", "api", "--port", str(api_port)])
        health = f"http://127.0.0.1:{api_port}/healthz"
        _wait("API", lambda: httpx.get(health).status_code == 200, children)
        note = "  (development key, kept in data/dev-api-key)" if generated else ""
        print(
            "\nThe stack is up (logs in data/*.log; Ctrl-C stops it):\n"
            f"  API docs     http://127.0.0.1:{api_port}/docs\n"
            "  Temporal UI  http://127.0.0.1:8233\n"
            f"  API key      {keys[0].key.get_secret_value()}{note}\n",
            flush=True,
        )
        while all(child.poll() is None for child in children):
            time.sleep(1)
        raise SystemExit("a process exited; see the logs in data/")
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
    finally:
        for child in reversed(children):
            child.terminate()
        for child in reversed(children):
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
