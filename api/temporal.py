"""The API's one Temporal client, connected on first use so the API can start before Temporal,
and the deadline every request's Temporal work runs under.

The client retries an unreachable server for up to 10 s; a backend posting events needs its 503
sooner, so its own retry and queueing work. A request therefore waits `TEMPORAL_WAIT_SECONDS`
(1.5 s) for Temporal, then answers 503 with Retry-After. A call cut off at the deadline may
still have reached the server: the sender's retry with the same event id routes it again, and a
journey drops an event id it has already seen.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from temporalio.client import Client

from api.errors import ApiError

T = TypeVar("T")


class TemporalConnection:
    def __init__(self, connect: Callable[[], Awaitable[Client]], wait_seconds: float) -> None:
        self._connect = connect
        self.wait_seconds = wait_seconds
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    try:
                        self._client = await asyncio.wait_for(
                            self._connect(), timeout=self.wait_seconds
                        )
                    except Exception as err:
                        raise temporal_unavailable() from err
        return self._client

    async def within_deadline(self, call: Awaitable[T]) -> T:
        """The call's result, or 503 once the request has waited its time for Temporal."""
        try:
            return await asyncio.wait_for(call, timeout=self.wait_seconds)
        except TimeoutError as err:
            raise temporal_unavailable() from err


def temporal_unavailable() -> ApiError:
    return ApiError(503, "Temporal is unavailable; retry later", headers={"Retry-After": "5"})
