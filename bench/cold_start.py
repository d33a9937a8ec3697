"""Worker cold start: from process start until the server sees the worker poll its task queue,
and the process's RSS then, against a bare worker (one workflow, one activity, the same SDK and
poller counts) started the same way in the same run.

Ours is `journeyctl worker` (as production starts it: every journeyctl command is imported, the
intent model loaded, the database engine and the channels built); "polling" is read from outside,
by asking the server for the task queue's pollers (DescribeTaskQueue) every 10 ms, so neither
side reports its own readiness. The sides take turns, run after run; medians are printed, with
the CPU time each process had used by then (on a loaded machine the wall time follows the other
processes; the CPU time much less). `--compare DIR` adds a third side, the `journeyctl worker`
of another checkout (e.g. the main branch's) run by the same interpreter and packages: a change
measured against its predecessor under the same load.

    .venv/bin/python -m bench.cold_start [--runs 5] [--compare /path/to/other/checkout]
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
from typing import NamedTuple

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from bench.harness import client_for, cpu_seconds, dev_server, rss_mib
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


class Start(NamedTuple):
    seconds: float  # from the process's start to its first poll
    cpu: float  # CPU seconds (user and system) the process had used by then
    rss: float  # MiB, then


async def cold_start(
    client: Client, command: list[str], env: dict[str, str], queue: str, cwd: Path
) -> Start:
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while not await polling(client, queue):
            if process.poll() is not None:
                raise SystemExit(f"{command} exited with {process.returncode} before polling")
            await asyncio.sleep(0.01)
        return Start(time.perf_counter() - started, cpu_seconds(process.pid), rss_mib(process.pid))
    finally:
        process.terminate()
        process.wait(timeout=30)


async def run(runs: int, compare: Path | None) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="bench-cold-"))
    database = f"sqlite+aiosqlite:///{scratch / 'journeys.db'}"
    await migrate(database)
    worker = [sys.executable, "-m", "cli", "worker"]
    # side -> (command, working directory: where `-m cli` finds its code)
    commands = {"ours": (worker, REPO_ROOT)}
    if compare is not None:
        commands["compared"] = (worker, compare)
    commands["bare"] = ([sys.executable, "-m", "bench.bare_workflows"], REPO_ROOT)
    async with dev_server() as (address, _):
        client = await client_for(address)
        sides: dict[str, list[Start]] = {side: [] for side in commands}
        for n in range(runs):
            for side, (command, cwd) in commands.items():
                queue = f"cold-{side}-{uuid.uuid4().hex[:6]}"
                env = {
                    **os.environ,
                    "TEMPORAL_ADDRESS": address,
                    "DATABASE_URL": database,
                    "TASK_QUEUE": queue,
                    "DATA_DIR": str(scratch),
                    "LOG_LEVEL": "warning",
                }
                arguments = [address, queue] if side == "bare" else []
                start = await cold_start(client, command + arguments, env, queue, cwd)
                sides[side].append(start)
                print(
                    f"run {n + 1} {side}: {start.seconds:.2f} s to polling "
                    f"({start.cpu:.2f} s of CPU), RSS {start.rss:.0f} MiB",
                    flush=True,
                )
        medians = {
            side: Start(*(statistics.median(getattr(s, f) for s in starts) for f in Start._fields))
            for side, starts in sides.items()
        }
        bare = medians["bare"]
        print(f"\nmedian of {runs} (ratio to the bare worker in the same run):")
        names = {"ours": "journeyctl worker", "compared": f"{compare}'s", "bare": "bare worker"}
        for side, m in medians.items():
            print(
                f"  {names[side]}: {m.seconds:.2f} s ({m.seconds / bare.seconds:.2f}x), "
                f"CPU {m.cpu:.2f} s ({m.cpu / bare.cpu:.2f}x), RSS {m.rss:.0f} MiB "
                f"({m.rss / bare.rss:.2f}x)"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--compare", type=Path, help="another checkout whose `journeyctl worker` runs as a side"
    )
    arguments = parser.parse_args()
    asyncio.run(run(arguments.runs, arguments.compare))
