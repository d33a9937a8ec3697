"""Preview: a journey for one customer (stored or made up) and timed events, run by
`journeyctl simulate` (cli/simulate.py) on its own time-skipping Temporal server with the real
worker, a scratch database and the dev outbox: what would be sent when, on which channel, with
which words, and what the guardrails would stop; nothing is sent.

The simulation runs in a child process, not in the API: it starts a Temporal server and a
worker (heavy, and the worker is a layer the API may not import), and a hung one is killed at
the timeout without touching the API. The page polls the job (htmx) until it ends.
"""

import asyncio
import json
import os
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import TypeAdapter, ValidationError

from api.console.forms import checked_form
from api.console.render import render
from api.console.session import PATH, ConsoleError, Session, current_session, require
from journeys.registry import JOURNEYS, journey_by_kind
from models.api_keys import Scope
from models.customers import CustomerProfile
from models.events import Identifier
from storage.customers import get_customer

router = APIRouter(prefix=PATH, include_in_schema=False)
SessionDep = Annotated[Session, Depends(current_session)]
EXAMPLES = Path(__file__).parent.parent.parent / "journeys" / "examples"
# The example events shipped for a journey, when there are some.
EXAMPLE_EVENTS = {
    "cart_abandonment": "cart_paid.json",
    "welcome": "welcome_cold.json",
    "winback": "winback_heavy_price.json",
    "offer_expiry": "offer_expiry.json",
}
TIMEOUT_SECONDS = 240
KEEP_JOBS = 20  # per console process; the oldest finished ones go first
MADE_UP = "c-preview"
# The command's JSON writes a timedelta as ISO 8601 (P1DT2H30M).
_DURATION = TypeAdapter(timedelta)
_IDENTIFIER = TypeAdapter(Identifier)


@dataclass
class Job:
    id: str
    owner: str
    journey: str
    customer: str
    started: float = field(default_factory=time.monotonic)
    progress: list[str] = field(default_factory=list)
    result: dict[str, Any] | None = None
    error: str | None = None
    task: asyncio.Task[None] | None = None

    @property
    def done(self) -> bool:
        return self.result is not None or self.error is not None


def _jobs(request: Request) -> dict[str, Job]:
    if not hasattr(request.app.state, "console_previews"):
        request.app.state.console_previews = {}
    return request.app.state.console_previews


def _example(kind: str) -> str:
    name = EXAMPLE_EVENTS.get(kind)
    if name is None:
        spec = journey_by_kind(kind)
        trigger = spec.trigger if spec else "cart_updated"
        return json.dumps([{"at": "0", "type": trigger, "properties": {}}], indent=2)
    return (EXAMPLES / name).read_text()


def _parse_events(text: str) -> list[Any]:
    try:
        events = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConsoleError(422, f"not JSON: {err.msg} at line {err.lineno}", "events") from err
    if not isinstance(events, list) or not events:
        raise ConsoleError(422, "a JSON list of timed events, the trigger at '0'", "events")
    return events


async def _profile(request: Request, customer_id: str, profile_text: str) -> CustomerProfile:
    if customer_id:
        async with request.app.state.sessions() as session:
            stored = await get_customer(session, customer_id)
        if stored is None:
            raise ConsoleError(404, "unknown customer", "customer_id")
        return CustomerProfile.model_validate(
            stored.model_dump(include=set(CustomerProfile.model_fields))
        )
    try:
        return CustomerProfile.model_validate_json(profile_text)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise ConsoleError(422, f"{where}: {first['msg']}", "profile") from err


async def run_simulation(
    job: Job, profile: CustomerProfile, events: list[Any], customer_id: str
) -> None:
    """Run `journeyctl simulate --json` in a child process; its stderr lines are the progress."""
    with tempfile.TemporaryDirectory(prefix="console-preview-") as scratch:
        profile_path, events_path = Path(scratch) / "profile.json", Path(scratch) / "events.json"
        profile_path.write_text(profile.model_dump_json())
        events_path.write_text(json.dumps(events))
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "cli",
            "simulate",
            job.journey,
            "--profile",
            str(profile_path),
            "--events",
            str(events_path),
            "--customer-id",
            customer_id,
            "--json",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "LOG_LEVEL": "warning"},
        )

        async def progress() -> None:
            assert process.stderr is not None
            async for line in process.stderr:
                job.progress.append(line.decode(errors="replace").rstrip()[:300])

        try:
            async with asyncio.timeout(TIMEOUT_SECONDS):
                reading = asyncio.create_task(progress())
                assert process.stdout is not None
                output = await process.stdout.read()
                await process.wait()
                await reading
        except TimeoutError:
            process.kill()
            await process.wait()
            job.error = f"the simulation took longer than {TIMEOUT_SECONDS} s and was stopped"
            return
        if process.returncode != 0:
            # The command names the bad parameter in the box of its usage error.
            boxed = [
                line.strip().strip("│").strip()
                for line in job.progress
                if line.strip().startswith("│")
            ]
            job.error = " ".join(boxed) or (job.progress or ["the simulation failed"])[-1]
            return
        job.result = json.loads(output)


def _words(row: dict[str, Any]) -> dict[str, str] | None:
    if row.get("title") is None and row.get("body") is None:
        return None
    return {"title": row.get("title") or "", "body": row.get("body") or "", "cta": ""}


def _since(seconds: float) -> str:
    minutes = max(0, round(seconds / 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return f"+{days}d {hours:02d}:{minutes:02d}"


def view(job: Job) -> dict[str, Any]:
    """What the result fragment shows: each row with its local time and, for a decision,
    whether it goes out, waits, or is stopped (and by which rule)."""
    if job.result is None:
        return {}
    zone = ZoneInfo(job.result["timezone"])
    rows = []
    for row in job.result["rows"]:
        what: str = row["what"]
        status = what.split(":", 1)[0] if ":" in what else ""
        seconds = _DURATION.validate_python(row["since_trigger"]).total_seconds()
        rows.append(
            {
                "since": _since(seconds),
                "local": datetime.fromisoformat(row["at"])
                .astimezone(zone)
                .strftime("%a %d %b %H:%M"),
                "step": row["step"],
                "what": what,
                "status": status,
                "channel": row.get("channel"),
                "words": _words(row),
            }
        )
    return {"rows": rows}


@router.get("/preview", response_class=HTMLResponse)
async def preview_form(
    session: SessionDep, journey: Annotated[str, Query(max_length=64)] = "cart_abandonment"
) -> HTMLResponse:
    require(session, Scope.CUSTOMERS_READ)
    if journey_by_kind(journey) is None:
        raise ConsoleError(404, "unknown journey", "journey")
    return render(
        "preview.html",
        session,
        "preview",
        journeys=JOURNEYS,
        journey=journey,
        profile=(EXAMPLES / "profile.json").read_text(),
        events=_example(journey),
    )


@router.post("/preview", response_class=HTMLResponse)
async def start_preview(request: Request, session: SessionDep) -> HTMLResponse:
    principal = require(session, Scope.CUSTOMERS_READ)
    form = await checked_form(request, session)
    kind = form.get("journey", "")
    if journey_by_kind(kind) is None:
        raise ConsoleError(422, "not a journey of the catalogue", "journey")
    customer_id = form.get("customer_id", "").strip()
    if customer_id:
        try:
            _IDENTIFIER.validate_python(customer_id)
        except ValidationError as err:
            raise ConsoleError(422, "not a customer id", "customer_id") from err
    profile = await _profile(request, customer_id, form.get("profile", ""))
    events = _parse_events(form.get("events", ""))
    jobs = _jobs(request)
    finished = [job for job in jobs.values() if job.done]
    for old in sorted(finished, key=lambda job: job.started)[: max(0, len(jobs) - KEEP_JOBS + 1)]:
        del jobs[old.id]
    job = Job(
        id=secrets.token_urlsafe(12),
        owner=principal.name,
        journey=kind,
        customer=customer_id or "made-up profile",
    )
    job.task = asyncio.create_task(run_simulation(job, profile, events, customer_id or MADE_UP))
    jobs[job.id] = job
    return render("preview_job.html", session, job=job, **view(job))


@router.get("/preview/jobs/{job_id}", response_class=HTMLResponse)
async def preview_job(request: Request, job_id: str, session: SessionDep) -> Response:
    require(session, Scope.CUSTOMERS_READ)
    job = _jobs(request).get(job_id)
    if job is None or job.owner != session.principal.name:
        raise ConsoleError(404, "no such preview (it may have been cleared)", "job_id")
    return render("preview_job.html", session, job=job, **view(job))
