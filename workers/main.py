"""Run a journey worker until interrupted."""

import asyncio
import gc
import signal
from datetime import timedelta

import structlog
from temporalio.runtime import Runtime

from logging_setup import configure_logging
from profiles.segment_starts import SegmentStarter
from profiles.updater import ProfileUpdater
from settings import Settings
from storage.database import create_engine, read_engine, session_factory
from telemetry.endpoints import prometheus_runtime, serve_metrics
from telemetry.tracing import configure_tracing, traced_client
from temporal_client import connect_temporal
from workers.build import build_worker
from workers.schedules import (
    ensure_alerts_workflow,
    ensure_profile_schedules,
    ensure_refresh_schedule,
    ensure_retrain_schedule,
)

log = structlog.get_logger()


def settle_heap() -> None:
    """Move what start-up built (modules, the ORM's mappings, the SDK, the settings) out of the
    collector's sight. A full (generation 2) collection walks every long-lived object: the
    worker's imports alone leave 155,000, one walk of them takes 65 ms of a quiet core, and every
    activity in flight waits behind it (the decisions' open-loop p99, docs/benchmarks.md).
    Frozen objects are never walked again; what the worker builds later is collected as before."""
    gc.collect()
    gc.freeze()


async def run_worker(settings: Settings) -> None:
    configure_logging(settings)
    telemetry = settings.telemetry
    if telemetry.sdk_metrics_address:
        # Before the client connects: clients report into the runtime they were created with.
        Runtime.set_default(prometheus_runtime(telemetry.sdk_metrics_address))
    metrics_server = serve_metrics(telemetry.metrics_address) if telemetry.metrics_address else None
    tracing = configure_tracing(telemetry, "worker")
    engine = create_engine(settings.resolved_database_url, settings.keyring())
    reader = read_engine(engine)
    client = await connect_temporal(settings)
    if tracing is not None:
        client = traced_client(client, tracing)
    sessions = session_factory(engine)
    worker = build_worker(client, settings, sessions, tracing, session_factory(reader))
    # Core tags from the events' queue, beside the journeys (profiles/updater.py).
    updater = ProfileUpdater(
        sessions, settings.profile, SegmentStarter(sessions, client, settings.task_queue)
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info(
        "worker started",
        task_queue=settings.task_queue,
        temporal=client.service_client.config.target_host,
        sdk_metrics=telemetry.sdk_metrics_address or None,
        metrics=telemetry.metrics_address or None,
        tracing=tracing is not None,
    )
    every = timedelta(minutes=settings.experiments.refresh_every_minutes)
    updating = asyncio.create_task(updater.run(stop))
    try:
        async with worker:
            # Once the worker polls: a start-up is not held up by the schedules' round trips.
            if await ensure_refresh_schedule(client, settings.task_queue, every):
                log.info("experiment refresh scheduled", every_minutes=every.total_seconds() / 60)
            if created := await ensure_profile_schedules(
                client, settings.task_queue, settings.profile
            ):
                log.info("profile scans scheduled", schedules=created)
            await ensure_alerts_workflow(client, settings.task_queue, settings.alerts)
            if await ensure_retrain_schedule(client, settings.task_queue, settings.recommendations):
                log.info("recommendation retraining scheduled (monthly)")
            settle_heap()
            await stop.wait()
            log.info("worker stopping")
    finally:
        await updating
        await engine.dispose()
        await reader.dispose()
        if metrics_server is not None:
            metrics_server.shutdown()
        if tracing is not None:
            tracing.shutdown()  # flushes the spans still batched
