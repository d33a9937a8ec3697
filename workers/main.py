"""Run a journey worker until interrupted."""

import asyncio
import signal

import structlog

from logging_setup import configure_logging
from settings import Settings
from storage.database import create_engine, session_factory
from temporal_client import connect_temporal
from workers.build import build_worker

log = structlog.get_logger()


async def run_worker(settings: Settings) -> None:
    configure_logging(settings)
    engine = create_engine(settings.resolved_database_url)
    client = await connect_temporal(settings)
    worker = build_worker(client, settings, session_factory(engine))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker started", task_queue=settings.task_queue, temporal=settings.temporal_address)
    async with worker:
        await stop.wait()
        log.info("worker stopping")
    await engine.dispose()
