"""The one way the API, the worker, the CLI and the replayer talk to Temporal.

Connection: the standard client configuration (`temporalio.envconfig`): `TEMPORAL_ADDRESS`,
`TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS`, `TEMPORAL_TLS_CLIENT_CERT_PATH`,
`TEMPORAL_TLS_CLIENT_KEY_PATH`, `TEMPORAL_TLS_SERVER_CA_CERT_PATH`, `TEMPORAL_TLS_SERVER_NAME`,
`TEMPORAL_GRPC_META_*`, or a profile (`TEMPORAL_PROFILE`) of a `temporal.toml`
(`TEMPORAL_CONFIG_FILE`): Temporal Cloud (API key or mTLS) and self-hosted mTLS clusters alike.
Settings given in code (tests) override the address and namespace.

Data: pydantic models through the payload converter, then, when payload encryption is on, the
AES-GCM codec (encryption/payloads.py); failure messages and stack traces are moved into an
encoded payload too, so an error that quotes an address is not left in clear in the history.
"""

import asyncio
import dataclasses
import gc
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.envconfig import ClientConfig, ClientConnectConfig
from temporalio.runtime import Runtime, TelemetryConfig

from encryption import Keyring
from encryption.payloads import EncryptionCodec
from settings import Settings

DEFAULT_ADDRESS = "localhost:7233"
DEFAULT_NAMESPACE = "default"
T = TypeVar("T")


def connect_config(settings: Settings) -> ClientConnectConfig:
    """Where and how to connect: the environment's (or profile's) configuration, with the
    address and namespace of `settings` when they are set."""
    config = ClientConfig.load_client_connect_config()
    if settings.temporal_address:
        config["target_host"] = settings.temporal_address
    if settings.temporal_namespace:
        config["namespace"] = settings.temporal_namespace
    config.setdefault("target_host", DEFAULT_ADDRESS)
    config.setdefault("namespace", DEFAULT_NAMESPACE)
    return config


def data_converter(keyring: Keyring, encrypt: bool = True) -> DataConverter:
    """Pydantic payloads, encrypted under `keyring`; with `encrypt` off written in clear (but
    encrypted ones still read)."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(keyring, encrypt),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes
        if encrypt
        else pydantic_data_converter.failure_converter_class,
    )


def settings_converter(settings: Settings) -> DataConverter:
    return data_converter(settings.keyring(), settings.encrypt_payloads)


async def connect_temporal(settings: Settings, runtime: Runtime | None = None) -> Client:
    """`runtime`: a command's own (run_with_client); else the process's default."""
    return await Client.connect(
        **connect_config(settings), data_converter=settings_converter(settings), runtime=runtime
    )


def run_with_client(settings: Settings, work: Callable[[Client], Awaitable[T]]) -> T:
    """`work(client)` to completion, then the client and its runtime shut down: a command's
    Temporal work, so that the process exits cleanly.

    The SDK's Rust runtime keeps threads that call into Python. Left to the interpreter's
    finalisation (the default runtime lives in a module global), one of them may find the
    interpreter half torn down and abort the process with `Fatal Python error:
    PyGILState_Release` after the command did its work (sdk-python #300). So the command runs
    on a runtime of its own, dropped, and its threads stopped, before the interpreter exits."""
    runtimes = [Runtime(telemetry=TelemetryConfig())]

    async def main() -> T:
        return await work(await connect_temporal(settings, runtime=runtimes[0]))

    try:
        return asyncio.run(main())
    finally:
        runtimes.clear()
        gc.collect()  # the client and the runtime go now, while the interpreter is whole


def exit_after_shutdown(status: int = 0) -> NoReturn:
    """Leave the process once a long-running command (worker, API, a test session) has shut
    down, without the interpreter's finalisation: there the SDK's Rust threads can abort the
    process (`Fatal Python error: PyGILState_Release`, sdk-python #300) and turn a clean stop
    into exit status 134. Logs and streams are flushed first; exit handlers do not run, so the
    command shuts its tracing down before. (A short command instead drops its own runtime:
    `run_with_client`.)"""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
