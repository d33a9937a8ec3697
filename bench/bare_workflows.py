"""The bare side of the side-by-side benchmarks: the least a Temporal workflow can do.

In a module of its own (not a script's __main__) so the workflow sandbox can import it; run as
`python -m bench.bare_workflows ADDRESS TASK_QUEUE` it is a worker process for them.
"""

import asyncio
import signal
import sys
from datetime import datetime, timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker


@activity.defn
async def bare_activity(n: int) -> int:
    return n


@workflow.defn
class BareOneActivity:
    @workflow.run
    async def run(self, n: int) -> int:
        return await workflow.execute_activity(
            bare_activity, n, start_to_close_timeout=timedelta(seconds=30)
        )


@workflow.defn
class BareTimerThenActivity:
    """Parked on a durable timer until `wake_at`, then one activity: a bare journey."""

    @workflow.run
    async def run(self, wake_at: datetime) -> int:
        wait = wake_at - workflow.now()
        if wait > timedelta(0):
            await workflow.sleep(wait)
        return await workflow.execute_activity(
            bare_activity, 1, start_to_close_timeout=timedelta(seconds=30)
        )


async def serve(address: str, task_queue: str) -> None:
    # The converter the bench's client (temporal_client.connect_temporal) uses.
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[BareOneActivity, BareTimerThenActivity],
        activities=[bare_activity],
        # As workers/build.py, so the two sides differ only in what runs.
        max_concurrent_workflow_task_polls=20,
        max_concurrent_activity_task_polls=20,
    ):
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2]))
