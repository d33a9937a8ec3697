"""The API's one Temporal client, connected on first use so the API can start before Temporal."""

import asyncio
from collections.abc import Awaitable, Callable

from temporalio.client import Client

from api.errors import ApiError


class TemporalConnection:
    def __init__(self, connect: Callable[[], Awaitable[Client]]) -> None:
        self._connect = connect
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    try:
                        self._client = await asyncio.wait_for(self._connect(), timeout=5)
                    except Exception as err:
                        raise temporal_unavailable() from err
        return self._client


def temporal_unavailable() -> ApiError:
    return ApiError(503, "Temporal is unavailable; retry later", headers={"Retry-After": "5"})
