"""The journeys that ran to their end, read from Temporal's visibility: no row records a
journey's end, and the run itself is the durable record of it.

A journey run ends `Completed` whatever its outcome (finished, exited, not eligible, ended by an
operator): the interpreter's last step names the outcome in the run's `JourneyStep` search
attribute, its `CustomerId` and `JourneyKind` name the customer and the journey, so nothing is
read from the run's history and no personal data is touched. A run that continued as new is not
the end of its journey; a terminated one is not a journey's end either and is not published.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from temporalio.client import Client, WorkflowExecution

from models.search_attributes import CUSTOMER_ID, JOURNEY_KIND, JOURNEY_STEP


@dataclass(frozen=True)
class ClosedJourney:
    run_id: str
    workflow_id: str
    journey: str
    customer_id: str
    outcome: str  # completed | exited | not_eligible | ended (the interpreter's last step)
    started_at: datetime  # the run's start: a journey that continued as new, its last run's
    completed_at: datetime


# The collector's view of them: the journeys closed at or after a time.
ClosedJourneys = Callable[[datetime], Awaitable[list[ClosedJourney]]]


def closed_journeys(client: Client) -> ClosedJourneys:
    """Read through the worker's (or the API's) client."""

    async def since(at: datetime) -> list[ClosedJourney]:
        stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        query = (
            f"ExecutionStatus = 'Completed' AND CloseTime >= '{stamp}' "
            f"AND {JOURNEY_KIND.name} IS NOT NULL"
        )
        found = [_closed(run) async for run in client.list_workflows(query)]
        return [run for run in found if run is not None]

    return since


def _closed(run: WorkflowExecution) -> ClosedJourney | None:
    attributes = run.typed_search_attributes
    journey, customer_id = attributes.get(JOURNEY_KIND), attributes.get(CUSTOMER_ID)
    if journey is None or customer_id is None or run.close_time is None:
        return None  # not a journey's run (or one from before its attributes): nothing to tell
    return ClosedJourney(
        run_id=run.run_id,
        workflow_id=run.id,
        journey=journey,
        customer_id=customer_id,
        outcome=attributes.get(JOURNEY_STEP) or "completed",
        started_at=run.start_time,
        completed_at=run.close_time,
    )
