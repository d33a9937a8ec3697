"""The one way the API, the worker and the CLI connect to Temporal."""

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime

from settings import Settings


async def connect_temporal(settings: Settings, runtime: Runtime | None = None) -> Client:
    """`runtime`: a command's own (cli/temporal_command.py); else the process's default."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        runtime=runtime,
    )
