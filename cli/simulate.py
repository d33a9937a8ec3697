"""`journeyctl simulate`: what a journey will do for one customer, before it goes live.

The definition runs on a local Temporal server in time-skipping mode (days pass in seconds) with
the real worker: facts, entry rules, guardrails, offers and copy as in production, a throwaway
SQLite database and the dev outbox for every channel (nothing leaves the machine; copy comes from
the deterministic templates). Events are given with their time relative to the trigger:

    [{"at": "-10d", "type": "order_paid", "properties": {"order_id": "o-1", "total": 120}},
     {"at": "0", "type": "cart_updated", "properties": {...}},
     {"at": "2h", "type": "order_paid", "properties": {"order_id": "o-2"}}]

Negative times are the customer's history (stored, not routed); time 0 is the trigger, which
must come first among the others; later events reach the journey at their virtual time, when the
definition listens to them. A property written "@+2d6h" ("@-3d") is that long after (before) the
trigger, as a timestamp: {"expires_at": "@+2d"}. The timeline printed has the virtual time since
the trigger, the customer's local time, each step entered and each send's decision, channel and
content title.
"""

import asyncio
import json
import os
import re
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from pydantic import BaseModel, Field, TypeAdapter, ValidationError, field_validator
from temporalio.api.enums.v1 import EventType as HistoryEventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from channels.settings import ChannelSettings
from cli.dev_server import temporal_binary
from content.settings import ContentSettings
from journeys.registry import JOURNEYS, journey_by_kind
from journeys.runs import JourneyState
from journeys.spec import JourneySpec
from logging_setup import configure_logging
from models.customers import CustomerProfile
from models.durations import parse_duration
from models.events import Event, EventType, validate_properties
from models.messages import MessageDecision
from models.search_attributes import ALL as SEARCH_ATTRIBUTES
from models.search_attributes import JOURNEY_STEP
from routing import signal_if_running, start_journey
from settings import Settings
from storage.customers import upsert_customer
from storage.database import create_engine, migrate, session_factory
from storage.events import store_event
from storage.ledger import messages_for_workflow
from workers.build import build_worker
from workflows.journey import DRAFT_WORKFLOW_TYPE
from workflows.sending import DECISION_ACTIVITIES

# Not in the winback holdout (assignment hashes the id): pick another id to see the holdout's path.
DEFAULT_CUSTOMER_ID = "c-simulated"
_RELATIVE = re.compile(r"^@(?P<sign>[+-])(?P<duration>[0-9.smhdw]+)$")


class TimedEvent(BaseModel):
    at: timedelta = Field(description="since the trigger: '0', '30m', '1d12h'; negative: history")
    type: EventType
    properties: dict[str, Any] = Field(default_factory=dict)

    @field_validator("at", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text in ("0", "-0"):
            return timedelta(0)
        if text.startswith("-"):
            return -parse_duration(text[1:])
        return parse_duration(text)


class TimelineRow(BaseModel):
    at: datetime
    since_trigger: timedelta
    step: str
    what: str = Field(description="'step' when the walk entered it; else the event or decision")
    channel: str | None = None
    title: str | None = None
    body: str | None = Field(None, description="the message's words, as decided")


class Simulation(BaseModel):
    journey: str
    workflow_type: str
    version: int
    customer_id: str
    timezone: str
    holdout: bool
    outcome: str
    rows: list[TimelineRow]


def load_definition(journey: str) -> JourneySpec:
    """A journey of the registry by kind, or a definition file (JSON) not live yet."""
    if (found := journey_by_kind(journey)) is not None:
        return found
    path = Path(journey)
    if not path.is_file():
        raise ValueError(f"{journey!r} is neither a journey kind nor a definition file")
    return JourneySpec.model_validate_json(path.read_text())


def load_events(path: Path) -> list[TimedEvent]:
    return TypeAdapter(list[TimedEvent]).validate_json(path.read_text())


async def simulate_journey(
    env: WorkflowEnvironment,
    settings: Settings,
    spec: JourneySpec,
    profile: CustomerProfile,
    events: list[TimedEvent],
    customer_id: str = DEFAULT_CUSTOMER_ID,
) -> Simulation:
    """Run `spec` for one customer on `env` (a time-skipping environment) with a worker of its
    own on `settings.task_queue`, and return the timeline."""
    history = [e for e in events if e.at < timedelta(0)]
    live = sorted((e for e in events if e.at >= timedelta(0)), key=lambda e: e.at)
    if (
        not live
        or live[0].at != timedelta(0)
        or not spec.starts_on(live[0].type, live[0].properties)
    ):
        raise ValueError(f"the first event at time 0 must be the trigger, a {spec.trigger}")
    if spec.workflow_type not in {journey.workflow_type for journey in JOURNEYS}:
        spec = spec.model_copy(update={"workflow_type": DRAFT_WORKFLOW_TYPE})

    engine = create_engine(settings.resolved_database_url, settings.keyring())
    sessions = session_factory(engine)
    client = env.client
    try:
        async with sessions.begin() as session:
            await upsert_customer(session, customer_id, profile, datetime.now().astimezone())
        async with build_worker(client, settings, sessions):
            with env.with_time_skipping_disabled():
                start = datetime.now().astimezone()
                for past in history:
                    await store_event(
                        sessions, _event(past, customer_id, start + past.at, start), start
                    )
                trigger = _event(live[0], customer_id, start, start)
                await store_event(sessions, trigger, start)
                await start_journey(client, settings.task_queue, spec, trigger)
                handle = client.get_workflow_handle(
                    spec.workflow_id(customer_id), result_type=JourneyState
                )
                first_run = (await handle.describe()).run_id
                received = [_event_row(trigger, start, start)]
                for later in live[1:]:
                    if not await _advance_to(env, handle, start + later.at):
                        break  # the journey ended before this event
                    now = await env.get_current_time(handle)
                    event = _event(later, customer_id, now, start)
                    await store_event(sessions, event, now)
                    if later.type in spec.listens_to():
                        await signal_if_running(client, handle.id, event)
                    received.append(_event_row(event, now, start))
                await _run_to_end(env, handle)
            state = await handle.result()
            async with sessions() as session:
                ledger = await messages_for_workflow(session, handle.id)
            walked = await _history_rows(
                client, handle.id, first_run, start, {m.message_id: m for m in ledger}
            )
    finally:
        await engine.dispose()
    return Simulation(
        journey=spec.kind,
        workflow_type=spec.workflow_type,
        version=spec.version,
        customer_id=customer_id,
        timezone=profile.timezone,
        holdout=state.holdout,
        outcome=_outcome(state),
        rows=_merge(received, walked),
    )


def _merge(received: list[TimelineRow], walked: list[TimelineRow]) -> list[TimelineRow]:
    """The events we sent in, each before the first thing the journey did at or after it."""
    rows, pending = [], list(received)
    for row in walked:
        while pending and pending[0].at <= row.at:
            rows.append(pending.pop(0))
        rows.append(row)
    return rows + pending


def _event(timed: TimedEvent, customer_id: str, at: datetime, start: datetime) -> Event:
    event = Event(
        event_id=f"sim-{uuid.uuid4().hex[:12]}",
        customer_id=customer_id,
        type=timed.type,
        occurred_at=at,
        properties={name: _relative(value, start) for name, value in timed.properties.items()},
    )
    if errors := validate_properties(event):
        raise ValueError(f"{timed.type} at {timed.at}: {errors[0]['field']}: {errors[0]['reason']}")
    return event


def _relative(value: Any, start: datetime) -> Any:
    """ "@+2d2h" in a property is that long after the trigger ("@-1d" before), as a timestamp."""
    if isinstance(value, str) and (match := _RELATIVE.match(value)):
        delta = parse_duration(match["duration"])
        return (start - delta if match["sign"] == "-" else start + delta).isoformat()
    return value


def _event_row(event: Event, at: datetime, start: datetime) -> TimelineRow:
    return TimelineRow(at=at, since_trigger=at - start, step="", what=f"event {event.type}")


async def _advance_to(
    env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any], moment: datetime
) -> bool:
    """Move the journey's clock to `moment`; False if it ended on the way."""
    now = await env.get_current_time(handle)
    if moment > now:
        with _ended_meanwhile():
            if not await env.fast_forward(handle, moment - now):
                return False
    return (await handle.describe()).status == WorkflowExecutionStatus.RUNNING


async def _run_to_end(env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any]) -> None:
    while (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
        with _ended_meanwhile():
            await env.fast_forward(handle, None)


@contextmanager
def _ended_meanwhile() -> Iterator[None]:
    """A fast-forward asked of a run that completed a moment earlier is answered NOT_FOUND."""
    try:
        yield
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise


async def _history_rows(
    client: Client,
    workflow_id: str,
    run_id: str | None,
    start: datetime,
    ledger: dict[str, MessageDecision],
) -> list[TimelineRow]:
    """The walk in the order it happened, from the histories of every run of the journey: each
    step entered, each event received and each decision taken (as the ledger has it now, so a
    delivered message shows as sent)."""
    rows: list[TimelineRow] = []
    converter = client.data_converter  # with the codec of the client that wrote the history
    while run_id:
        handle = client.get_workflow_handle(workflow_id, run_id=run_id)
        run_id = None
        decisions: set[int] = set()  # scheduled-event ids of the activities that decide
        async for event in handle.fetch_history_events():
            at = event.event_time.ToDatetime(tzinfo=UTC)
            kind = event.event_type
            if kind == HistoryEventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
                attributes = event.workflow_execution_continued_as_new_event_attributes
                run_id = attributes.new_execution_run_id
            elif kind == HistoryEventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
                fields = event.upsert_workflow_search_attributes_event_attributes
                if payload := fields.search_attributes.indexed_fields.get(JOURNEY_STEP.name):
                    step = json.loads(payload.data)
                    rows.append(
                        TimelineRow(at=at, since_trigger=at - start, step=step, what="step")
                    )
            elif kind == HistoryEventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                scheduled = event.activity_task_scheduled_event_attributes
                if scheduled.activity_type.name in DECISION_ACTIVITIES:
                    decisions.add(event.event_id)
            elif kind == HistoryEventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                completed = event.activity_task_completed_event_attributes
                if completed.scheduled_event_id in decisions:
                    [taken] = await converter.decode(
                        completed.result.payloads[:1], [MessageDecision]
                    )
                    rows.append(_decision_row(ledger.get(taken.message_id, taken), start))
    return rows


def _decision_row(decision: MessageDecision, start: datetime) -> TimelineRow:
    return TimelineRow(
        at=decision.created_at,
        since_trigger=decision.created_at - start,
        step=decision.step,
        what=f"{decision.status}: {decision.reason}",
        channel=decision.channel,
        title=decision.content.title if decision.content else None,
        body=decision.content.body if decision.content else None,
    )


def _outcome(state: JourneyState) -> str:
    if state.ended_reason:
        return f"{state.status} ({state.ended_reason})"
    return state.status


def format_timeline(simulation: Simulation) -> str:
    zone = ZoneInfo(simulation.timezone)
    holdout = ", in the holdout (nothing is delivered)" if simulation.holdout else ""
    lines = [
        f"{simulation.journey} ({simulation.workflow_type} v{simulation.version}) for "
        f"{simulation.customer_id}, time zone {simulation.timezone}{holdout}",
        f"{'since trigger':>14}  {'local time':<16}  {'step':<24}  {'what':<34}  "
        f"{'channel':<7}  content",
    ]
    for row in simulation.rows:
        local = row.at.astimezone(zone).strftime("%a %d %b %H:%M")
        lines.append(
            f"{_since(row.since_trigger):>14}  {local:<16}  {row.step:<24}  {row.what:<34}  "
            f"{row.channel or '':<7}  {row.title or ''}"
        )
    lines.append(f"outcome: {simulation.outcome}")
    return "\n".join(lines)


def _since(delta: timedelta) -> str:
    minutes = max(0, round(delta.total_seconds() / 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return f"+{days}d {hours:02d}:{minutes:02d}"


async def run_simulation(
    journey: str,
    profile_path: Path,
    events_path: Path,
    customer_id: str = DEFAULT_CUSTOMER_ID,
    progress: Any = print,
) -> Simulation:
    """The CLI's whole run: a throwaway database and Temporal server, the journey, the timeline."""
    spec = load_definition(journey)
    profile = CustomerProfile.model_validate_json(profile_path.read_text())
    events = load_events(events_path)
    with tempfile.TemporaryDirectory(prefix="journey-sim-") as scratch:
        settings = simulation_settings(Path(scratch))
        progress("preparing a scratch database ...")
        await migrate(settings.resolved_database_url)
        progress("starting a local Temporal server with time skipping ...")
        with _stdout_to_stderr():  # the server's banner would mix with the timeline
            env = await WorkflowEnvironment.start_time_skipping_v2(
                data_converter=pydantic_data_converter,
                dev_server_existing_path=temporal_binary(),
                dev_server_extra_args=[
                    "--dynamic-config-value",
                    "frontend.WorkflowTimeSkippingEnabled=true",
                ],
                search_attributes=SEARCH_ATTRIBUTES,
            )
        try:
            progress(f"running {spec.kind} ...")
            return await simulate_journey(env, settings, spec, profile, events, customer_id)
        finally:
            await env.shutdown()


@contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Child processes started inside write their standard output to our standard error."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def simulation_settings(scratch: Path) -> Settings:
    """The environment's settings with everything that could reach the outside turned off."""
    return Settings(
        data_dir=scratch,
        database_url=f"sqlite+aiosqlite:///{scratch / 'simulation.db'}",
        task_queue=f"simulation-{uuid.uuid4()}",
        smtp_host="",
        channels=ChannelSettings(),
        content=ContentSettings(),
        catalog=None,
        log_level="warning",
    )


def simulate_command(
    journey: Annotated[
        str, typer.Argument(help="a journey kind (e.g. welcome) or a definition file (JSON)")
    ],
    profile: Annotated[
        Path,
        typer.Option(exists=True, dir_okay=False, help="customer profile JSON, as PUT takes it"),
    ],
    events: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, help="timed events JSON (see README)")
    ],
    customer_id: Annotated[
        str, typer.Option(help="the customer's id (holdout assignment depends on it)")
    ] = DEFAULT_CUSTOMER_ID,
    as_json: Annotated[bool, typer.Option("--json", help="print the timeline as JSON")] = False,
) -> None:
    """Run a journey for one customer profile and timed events on a local time-skipping Temporal
    server with the real decision code and the dev outbox, and print its timeline."""
    configure_logging(Settings(log_level="warning"))
    try:
        simulation = asyncio.run(
            run_simulation(
                journey, profile, events, customer_id, lambda line: typer.echo(line, err=True)
            )
        )
    except (ValueError, ValidationError) as err:
        raise typer.BadParameter(str(err)) from err
    typer.echo(simulation.model_dump_json(indent=2) if as_json else format_timeline(simulation))
