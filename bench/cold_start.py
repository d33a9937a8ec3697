"""Worker cold start: from process start until the server sees the worker poll its task queue,
and the process's RSS then, against a bare worker (one workflow, one activity, the same SDK and
poller counts) started the same way in the same run.

Ours is `journeyctl worker` (as production starts it: every journeyctl command is imported, the
intent model loaded, the database engine and the channels built); "polling" is read from outside,
by asking the server for the task queue's pollers (DescribeTaskQueue) every 10 ms, so neither
side reports its own readiness. The sides take turns, run after run; medians are printed.

    .venv/bin/python -m bench.cold_start [--runs 5]
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from bench.harness import client_for, dev_server, rss_mib
from settings import REPO_ROOT
from storage.database import migrate


async def polling(client: Client, queue: str) -> bool:
    described = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return bool(described.pollers)


async def cold_start(
    client: Client, command: list[str], env: dict[str, str], queue: str
) -> tuple[float, float]:
    """Seconds from the process's start to its first poll, and its RSS (MiB) then."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while not await polling(client, queue):
            if process.poll() is not None:
                raise SystemExit(f"{command} exited with {process.returncode} before polling")
            await asyncio.sleep(0.01)
        return time.perf_counter() - started, rss_mib(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


async def run(runs: int) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="bench-cold-"))
    database = f"sqlite+aiosqlite:///{scratch / 'journeys.db'}"
    await migrate(database)
    async with dev_server() as (address, _):
        client = await client_for(address)
        sides: dict[str, list[tuple[float, float]]] = {"ours": [], "bare": []}
        for n in range(runs):
            for side in ("ours", "bare"):
                queue = f"cold-{side}-{uuid.uuid4().hex[:6]}"
                env = {
                    **os.environ,
                    "TEMPORAL_ADDRESS": address,
                    "DATABASE_URL": database,
                    "TASK_QUEUE": queue,
                    "DATA_DIR": str(scratch),
                    "LOG_LEVEL": "warning",
                }
                command = (
                    [sys.executable, "-m", "cli", "worker"]
                    if side == "ours"
                    else [sys.executable, "-m", "bench.bare_workflows", address, queue]
                )
                seconds, rss = await cold_start(client, command, env, queue)
                sides[side].append((seconds, rss))
                print(
                    f"run {n + 1} {side}: {seconds:.2f} s to polling, RSS {rss:.0f} MiB", flush=True
                )
        ours_s = statistics.median(s for s, _ in sides["ours"])
        bare_s = statistics.median(s for s, _ in sides["bare"])
        ours_rss = statistics.median(r for _, r in sides["ours"])
        bare_rss = statistics.median(r for _, r in sides["bare"])
        print(
            f"\nmedian of {runs}: journeyctl worker {ours_s:.2f} s, RSS {ours_rss:.0f} MiB; "
            f"bare worker {bare_s:.2f} s, RSS {bare_rss:.0f} MiB; "
            f"ratio {ours_s / bare_s:.2f}x the time, {ours_rss / bare_rss:.2f}x the memory"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(run(parser.parse_args().runs))
