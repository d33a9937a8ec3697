"""The worker and the API import no training library: scikit-learn, scipy, pandas and xgboost
are the optional [ml] extra, for the training and evaluation commands (and these tests). A
starting worker imports no more than it needs to poll."""

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from settings import REPO_ROOT
from storage.database import migrate

TRAINING_ONLY = ("sklearn", "scipy", "pandas", "xgboost")


def test_the_worker_the_api_and_journeyctl_import_no_training_library() -> None:
    # A fresh interpreter: this one imported them all for other tests.
    probe = (
        "import json, sys\n"
        "import workers.main, api.app, cli.main\n"
        f"print(json.dumps(sorted(m for m in {TRAINING_ONLY!r} if m in sys.modules)))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) == []


# Loaded when first used, not while a worker starts (bench/cold_start.py): numpy at the first
# score, email_validator at the first customer profile validated, httpx's transport (httpcore)
# at the first webhook delivery, the OpenTelemetry SDK and Temporal's tracing interceptor only
# when tracing is configured.
LOADED_WHEN_USED = (
    "numpy",
    "email_validator",
    "httpcore",
    "opentelemetry.sdk",
    "temporalio.contrib.opentelemetry",
)

# `journeyctl worker` in a fresh interpreter, stopped (SIGTERM, as a deployment stops it) once
# the server sees it poll; then what it had imported.
_WORKER_PROBE = """
import asyncio, json, os, signal, sys
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

import cli.main
from cli.preflight import load_settings
from temporal_client import exit_after_shutdown
from workers.main import run_worker


async def polled(client, queue):
    while True:
        described = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
        if described.pollers:
            return
        await asyncio.sleep(0.05)


async def main():
    settings = load_settings("worker")
    worker = asyncio.create_task(run_worker(settings))
    # The probe's own client: imports nothing the worker's does not.
    client = await Client.connect(os.environ["TEMPORAL_ADDRESS"])
    await asyncio.wait_for(polled(client, settings.task_queue), timeout=60)
    loaded = sorted(m for m in LOADED if any(k == m or k.startswith(m + ".") for k in sys.modules))
    os.kill(os.getpid(), signal.SIGTERM)
    await worker
    print(json.dumps(loaded))


asyncio.run(main())
exit_after_shutdown()  # as `journeyctl worker` leaves
"""


async def test_a_worker_polls_before_loading_what_it_needs_only_later(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    # A database of its own: no queued profile refresh to load anything while it starts.
    database = f"sqlite+aiosqlite:///{tmp_path / 'journeys.db'}"
    await migrate(database)
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "DATABASE_URL": database,
        "DATA_DIR": str(tmp_path),
        "TASK_QUEUE": f"imports-{uuid.uuid4().hex[:8]}",
        "LOG_LEVEL": "warning",
    }
    probe = f"LOADED = {LOADED_WHEN_USED!r}\n{_WORKER_PROBE}"
    run = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", probe],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) == []
