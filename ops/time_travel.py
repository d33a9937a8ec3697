"""Fast-forwarding a journey's clock on a server that allows time skipping (QA and staging)."""

from datetime import datetime, timedelta

from temporalio.client import Client
from temporalio.testing import TimeSkipper


async def fast_forward(client: Client, workflow_id: str, duration: timedelta) -> datetime:
    """Advance the workflow's virtual clock by `duration`, wait until it got there, return it."""
    skipper = TimeSkipper(client)
    handle = client.get_workflow_handle(workflow_id)
    await skipper.fast_forward(handle, duration)
    return await skipper.get_current_time(handle)
