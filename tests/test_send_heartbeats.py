"""A send heartbeats while it runs (activities/sending.py), so that a send on a worker that died
is retried after the heartbeat timeout rather than the whole start-to-close timeout; one that
ends before the first beat costs the server no heartbeat call."""

import asyncio
from datetime import timedelta

from temporalio.testing import ActivityEnvironment

from activities.sending import heartbeating

EVERY = timedelta(milliseconds=20)


async def beats_during(seconds: float) -> tuple[int, int]:
    """Heartbeats while a body of `seconds` runs, and in as long again after it ended."""
    beats: list[object] = []
    environment = ActivityEnvironment()
    environment.on_heartbeat = lambda *details: beats.append(details)

    async def send() -> int:
        async with heartbeating(EVERY):
            await asyncio.sleep(seconds)
        during = len(beats)
        await asyncio.sleep(max(seconds, 0.1))
        return during

    during = await environment.run(send)
    return during, len(beats) - during


async def test_a_long_send_heartbeats_until_it_ends() -> None:
    during, after = await beats_during(0.2)
    assert during >= 3
    assert after == 0


async def test_a_quick_send_does_not_heartbeat() -> None:
    assert await beats_during(0.0) == (0, 0)
