"""Running a command's Temporal work so that the process exits cleanly.

The SDK's Rust runtime keeps threads that call into Python. Left to the interpreter's
finalisation (the default runtime lives in a module global), one of them may find the
interpreter half torn down and abort the process with `Fatal Python error: PyGILState_Release`
after the command did its work (sdk-python #300). A command therefore runs on a runtime of its
own, which is dropped, and its threads stopped, before the interpreter exits.
"""

import asyncio
import gc
from collections.abc import Awaitable, Callable
from typing import TypeVar

from temporalio.client import Client
from temporalio.runtime import Runtime, TelemetryConfig

from settings import Settings
from temporal_client import connect_temporal

T = TypeVar("T")


def run_with_client(settings: Settings, work: Callable[[Client], Awaitable[T]]) -> T:
    """`work(client)` to completion, then the client and its runtime shut down."""
    runtimes = [Runtime(telemetry=TelemetryConfig())]

    async def main() -> T:
        return await work(await connect_temporal(settings, runtime=runtimes[0]))

    try:
        return asyncio.run(main())
    finally:
        runtimes.clear()
        gc.collect()  # the client and the runtime go now, while the interpreter is whole
