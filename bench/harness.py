"""What the benchmarks share: a Temporal dev server of their own, a scratch database, figures."""

import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import httpx
import uvicorn
from temporalio.client import Client

from api.app import create_app
from cli.dev_server import dev_server_args, temporal_binary
from settings import Settings
from temporal_client import connect_temporal


def bench_settings(
    address: str, database_url: str, scratch: Path, queue_prefix: str, **overrides: object
) -> Settings:
    """Settings for a bench's own stack: its dev server, a task queue of its own, and the given
    database or a scratch SQLite file."""
    return Settings(
        temporal_address=address,
        database_url=database_url or f"sqlite+aiosqlite:///{scratch / 'journeys.db'}",
        data_dir=scratch,
        task_queue=f"{queue_prefix}-{uuid.uuid4().hex[:6]}",
        log_level="warning",
        **overrides,
    )


def midday_timezone(now: datetime | None = None) -> str:
    """A zone where it is about noon now, so quiet hours (22:00-09:00) stay out of the way of a
    bench or a test whatever the hour it runs at (Etc/GMT-N is UTC+N)."""
    offset = (12 - (now or datetime.now(UTC)).hour + 12) % 24 - 12  # -12 .. +11
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


SERVER_CORE_HELP = "give the dev server CPU 0 alone, as on a host of its own (both sides use it)"


def keep_core_for_server() -> set[int]:
    """Move this process to every CPU but 0, and return {0} for `dev_server`: the server then
    runs on a core of its own, as on a host of its own, while the processes and threads this
    one starts from now on share the rest."""
    rest = os.sched_getaffinity(0) - {0}
    if not rest:
        raise SystemExit("--server-core needs two CPUs or more")
    # Every thread so far (imports start a few); the ones started later inherit it.
    for thread in os.listdir("/proc/self/task"):
        os.sched_setaffinity(int(thread), rest)
    print(f"dev server on CPU 0; the bench and the processes it starts on CPUs {sorted(rest)}")
    return {0}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def start_dev_server(
    db_file: Path, port: int | None = None, cpus: set[int] | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    """A Temporal dev server on `port` (None: a free one) keeping its data in `db_file`, on the
    given CPUs only if any are given (util-linux's taskset, so that every thread it starts
    inherits them), once it answers; returns the process and its port. A port picked free may be
    taken by the time the server binds it (another server, on a busy machine): such a server
    exits at once and is started again on fresh ports, unless `port` was given (a restart, whose
    clients expect it). Raises, quoting the server's log, when it does not answer in 60 s."""
    log = db_file.with_suffix(".log")
    pinned = ["taskset", "--cpu-list", ",".join(map(str, sorted(cpus)))] if cpus else []
    for _ in range(3 if port is None else 1):
        chosen = port or free_port()
        args = dev_server_args(db_file, chosen, free_port())
        with log.open("ab") as output:
            process = subprocess.Popen(
                [*pinned, temporal_binary(), *args], stdout=output, stderr=output
            )
        if await _answers(process, f"127.0.0.1:{chosen}"):
            return process, chosen
        if process.poll() is None:  # running, yet silent for a minute: no port to blame
            process.kill()
            process.wait()
            break
    raise RuntimeError(f"the dev server did not start: {log.read_text()[-2000:]}")


async def _answers(process: subprocess.Popen[bytes], address: str) -> bool:
    """Whether the server answers within 60 s (False at once when it exited)."""
    for _ in range(240):
        if process.poll() is not None:
            return False
        try:
            client = await Client.connect(address)
            if await client.service_client.check_health():
                return True
        except Exception:
            await asyncio.sleep(0.25)
    return False


@contextlib.asynccontextmanager
async def dev_server(
    db_file: Path | None = None, cpus: set[int] | None = None
) -> AsyncIterator[tuple[str, subprocess.Popen[bytes]]]:
    """A dev server of the bench's own (`start_dev_server`; SQLite file if given, else a scratch
    one): its address and process, terminated on exit."""
    db_file = db_file or Path(tempfile.mkdtemp(prefix="bench-temporal-")) / "temporal.db"
    process, port = await start_dev_server(db_file, cpus=cpus)
    try:
        yield f"127.0.0.1:{port}", process
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextlib.asynccontextmanager
async def api_server(
    settings: Settings, client: Client | None = None, max_connections: int = 64
) -> AsyncIterator[httpx.AsyncClient]:
    """The API under uvicorn on a free port (its own Temporal client unless one is given), and
    an HTTP client for it carrying the first API key."""
    port = free_port()
    app = create_app(settings, temporal_client=client)
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_config=None, access_log=False))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    http = httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Authorization": f"Bearer {settings.api_keys[0].get_secret_value()}"},
        limits=httpx.Limits(max_connections=max_connections),
        timeout=60,
    )
    try:
        yield http
    finally:
        await http.aclose()
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await serving


@contextlib.asynccontextmanager
async def api_process(
    settings: Settings, max_connections: int = 64
) -> AsyncIterator[tuple[httpx.AsyncClient, int]]:
    """The API as it is deployed, `journeyctl api` in a process of its own (so the load the bench
    generates does not share its interpreter): an HTTP client for it, and its pid."""
    port = free_port()
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": settings.temporal_address,
        "DATABASE_URL": settings.resolved_database_url,
        "API_KEYS": json.dumps([key.get_secret_value() for key in settings.api_keys]),
        "TASK_QUEUE": settings.task_queue,
        "DATA_DIR": str(settings.data_dir),
        "LOG_LEVEL": settings.log_level,
    }
    journeyctl = Path(sys.executable).parent / "journeyctl"
    process = subprocess.Popen(
        [str(journeyctl), "api", "--port", str(port)], env=env, stdout=subprocess.DEVNULL
    )
    http = httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Authorization": f"Bearer {settings.api_keys[0].get_secret_value()}"},
        limits=httpx.Limits(max_connections=max_connections),
        timeout=60,
    )
    try:
        for _ in range(150):
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/healthz")).status_code == 200:
                    break
            await asyncio.sleep(0.2)
        yield http, process.pid
    finally:
        await http.aclose()
        process.terminate()
        process.wait(timeout=30)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """CPU time the process has used so far, user and system."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


Side = TypeVar("Side")


def in_turn(sides: Sequence[Side], round_index: int) -> list[Side]:
    """The sides in their order, round `round_index` (from 0) starting with its own: the server
    slows as a side's leftovers pile up, so a fixed order favours the first side."""
    start = round_index % len(sides)
    return [*sides[start:], *sides[:start]]


async def quiet(pid: int, busy_below: float = 0.05, longest: float = 60.0) -> None:
    """Wait until the process uses less than `busy_below` of a core over a second (at most
    `longest` seconds): a dev server goes on working after the last workflow of a side completed
    (closing, visibility, the timers of terminated journeys), and the next side should not pay
    for it."""
    began = asyncio.get_running_loop().time()
    while asyncio.get_running_loop().time() - began < longest:
        before = cpu_seconds(pid)
        await asyncio.sleep(1.0)
        if cpu_seconds(pid) - before < busy_below:
            return


def percentiles(samples_ms: list[float]) -> tuple[float, float]:
    if len(samples_ms) < 2:
        return (samples_ms or [0.0])[0], (samples_ms or [0.0])[0]
    # Inclusive: a percentile never lies beyond the slowest sample, however few there are.
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return cuts[49], cuts[98]


@contextlib.contextmanager
def chdir(path: Path) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


async def client_for(address: str) -> Client:
    return await connect_temporal(Settings(temporal_address=address))


@contextlib.asynccontextmanager
async def demo_catalog() -> AsyncIterator[str]:
    """The demo catalogue served as the live catalog by a process of its own (its CPU is not the
    bench's, as the database server's is not); yields its base URL."""
    port = free_port()
    journeyctl = Path(sys.executable).parent / "journeyctl"
    process = subprocess.Popen(
        [str(journeyctl), "catalog", "demo", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                try:
                    await http.get(f"{base_url}/products/none")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.wait()
