"""Fast-forwarding a journey's clock on a server that allows time skipping (QA and staging)."""

from datetime import datetime, timedelta

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import TimeSkipper


class FastForwardFailed(Exception):
    """The journey's clock did not get where it was asked to go; the message says why."""


async def fast_forward(client: Client, workflow_id: str, duration: timedelta) -> datetime:
    """Advance the workflow's virtual clock by `duration`, wait until it got there, return it."""
    skipper = TimeSkipper(client)
    handle = client.get_workflow_handle(workflow_id)
    try:
        arrived = await skipper.fast_forward(handle, duration)
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
        raise FastForwardFailed(f"{workflow_id}: no such journey") from err
    except RuntimeError as err:
        # The SDK's documented word for "a later fast-forward replaced yours"; any other
        # RuntimeError is not this one's to explain.
        if "overridden by a later fast-forward" not in str(err):
            raise
        raise FastForwardFailed(
            f"{workflow_id}: another fast-forward of this journey replaced this one before it "
            "got there; its clock moves by the later one"
        ) from err
    if not arrived:
        raise FastForwardFailed(f"{workflow_id}: the journey ended before its clock got there")
    return await skipper.get_current_time(handle)
